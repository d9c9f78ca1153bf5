"""The rules of the satisfaction survey (顾客满意度调查, 000 D4 §6), as plain functions of their
inputs: no database, no Prefect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from policy.survey.schema import SurveyPolicy
from tasks.text import simplified

PROCESS = "survey"
MAX_LISTED = 10


class SurveyError(ValueError):
    """Input that cannot be accepted; ``field`` names the bad option or the file's cell.
    Nothing was written."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}" if field else message)
        self.field = field


@dataclass(frozen=True)
class AspectResult:
    """One aspect's answers: how many rated it, how many were satisfied, the share in %."""

    answers: int
    satisfied: int

    @property
    def rate(self) -> float:
        return round(100 * self.satisfied / self.answers, 1) if self.answers else 0.0

    def below(self, target_percent: float) -> bool:
        """Exact: 9 of 10 satisfied is 90%, which meets a 90% target."""
        return Fraction(self.satisfied, self.answers or 1) * 100 < Fraction(str(target_percent))


def column_of(rules: SurveyPolicy, header: str) -> str | None:
    """The aspect a column header names: its key (service) or its name (服务质量, 服務質量)."""
    wanted = simplified(header.strip()).casefold()
    for key, named in rules.aspects.items():
        if wanted in {key.casefold(), simplified(named.name).casefold(),
                      named.name_en.casefold() if named.name_en else key}:
            return key
    return None


def check_answers(rules: SurveyPolicy, rows: Iterable[tuple[int, Mapping[str, str]]]
                  ) -> list[dict[str, int]]:
    """Each row's answers by aspect (1 … scale_max; an empty cell is no answer). Every bad cell
    is listed with its row and column, and nothing is accepted (SurveyError)."""
    errors: list[str] = []
    answers: list[dict[str, int]] = []
    for number, cells in rows:
        row: dict[str, int] = {}
        for aspect, text in cells.items():
            text = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
            if not text:
                continue
            if not text.isdigit() or not 1 <= int(text) <= rules.scale_max:
                errors.append(f"row {number}, column {aspect}: {text!r} is not an answer "
                              f"1–{rules.scale_max}")
                continue
            row[aspect] = int(text)
        answers.append(row)
    if errors:
        more = f" … and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        raise SurveyError("", f"{'; '.join(errors[:MAX_LISTED])}{more} "
                              f"({len(errors)} error(s); nothing imported)")
    if not any(answers):
        raise SurveyError("", "the file has no answers")
    return answers


def analyse(rules: SurveyPolicy, answers: Iterable[Mapping[str, int]]) -> dict[str, AspectResult]:
    """000 D4 §6 c: 汇总、分类、统计分析 — per aspect, the share of answers at or above
    ``satisfied_from``."""
    counts = {aspect: [0, 0] for aspect in rules.aspects}
    for row in answers:
        for aspect, score in row.items():
            counts[aspect][0] += 1
            counts[aspect][1] += score >= rules.satisfied_from
    return {aspect: AspectResult(n, s) for aspect, (n, s) in counts.items()}


def below_target(results: Mapping[str, AspectResult], target_percent: float) -> list[str]:
    """000 D4 §6 d: 当顾客满意度未能达到公司规定要求时 … 针对满意度较低方面 — the aspects
    (answered at all) whose satisfaction is below the target; each is a subject of the
    corrective and preventive actions."""
    return [aspect for aspect, result in results.items()
            if result.answers and result.below(target_percent)]
