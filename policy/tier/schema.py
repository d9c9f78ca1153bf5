"""The tier assessment's policy section (客户等级评定, 000 D7 = 004 D12; methods 004 D22).

000 D7 §3 leaves the 销量指标 / 综合指标 table blank: every threshold and weight here is an
assumption an admin is expected to replace, marked "policy silent" in the yaml.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from policy.base import Duration, Escalation

Method = Literal["credit", "order_value", "potential", "profit", "composite"]
METHODS: tuple[str, ...] = ("credit", "order_value", "potential", "profit", "composite")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _duration(value: object) -> Any:
    """A policy.base.Duration."""
    return value if isinstance(value, Duration) else Duration.parse(value)  # type: ignore[arg-type]


def _escalation(value: object) -> Any:
    return value if isinstance(value, Escalation) else Escalation.model_validate(value)


class ScoreScale(_Strict):
    """How a year's figures become 0–100 scores (policy silent)."""

    sales_full_marks: float = 500.0      # 万元 of yearly sales worth 100 points
    growth_full_marks: float = 30.0      # % growth over the year before worth 100 points
    profit_full_marks: float = 100.0     # 万元 of gross profit worth 100 points
    overdue_penalty: float = 25.0        # credit points lost per overdue payment


class Weights(_Strict):
    """004 D22 综合评分: the composite score's weights (normalised by their sum)."""

    order_value: float = 0.4
    potential: float = 0.2
    credit: float = 0.2
    cooperation: float = 0.2
    profit: float = 0.0


class GradeCutoff(_Strict):
    """What a customer needs for a grade; every condition given must hold."""

    min_score: float = 0.0
    min_sales: float | None = None
    min_growth: float | None = None
    max_overdue_payments: int | None = None
    min_cooperation: float | None = None


class ComplaintPriority(_Strict):
    """000 D7 §6.2 H: 应优先处理A类客户的抱怨和投诉 — a tag and a tighter handling deadline."""

    grades: list[str] = ["A"]
    handling: Any = "1 working day"  # policy silent: the complaint policy's 3 working days, tightened

    _d = field_validator("handling", mode="before")(_duration)


class TierPolicy(_Strict):
    number_prefix: str = "DJ"
    grades: list[str] = ["A", "B", "C"]
    method: Method = "composite"
    scale: ScoreScale = ScoreScale()
    weights: Weights = Weights()
    # Grades above the last, best first; a customer who meets none gets the last grade.
    cutoffs: dict[str, GradeCutoff]
    pregrader: str = "role:section_chief"
    convener: str = "role:tier_convener"
    pregrade_due: Any = "3 working days"
    meeting_due: Any = "3 working days"
    # 000 D7 §6.2 B: 销售科长申报，销售部长审核，总经理/董事长批准.
    a_application_chain: list[str] = ["territory_chief", "role:sales_minister",
                                      "role:general_manager"]
    a_application_step_due: Any = "3 working days"
    # 000 D7 §6.2 C / §7.3: refusing an A order, or a B/C order first, needs 销售部长 or higher.
    order_exception_approver: str = "role:sales_minister"
    order_exception_due: Any = "1 working day"
    # 000 D7 §5.1.2 D: a new customer's temporary grade is reviewed after six months.
    temporary_review_due: Any = "5 working days"
    publish_to_departments: list[str] = ["sales", "promotion"]
    complaint_priority: ComplaintPriority = Field(default_factory=ComplaintPriority)
    escalation: Any  # a policy.base.Escalation: the ladder of the process's clocks

    _d = field_validator("pregrade_due", "meeting_due", "a_application_step_due",
                         "order_exception_due", "temporary_review_due", mode="before")(_duration)
    _e = field_validator("escalation", mode="before")(_escalation)

    @field_validator("grades")
    @classmethod
    def _two_or_more(cls, grades: list[str]) -> list[str]:
        if len(grades) < 2 or len(set(grades)) != len(grades):
            raise ValueError("at least two distinct grades, best first")
        return grades

    @model_validator(mode="after")
    def _cutoffs_for_upper_grades(self) -> TierPolicy:
        missing = [g for g in self.grades[:-1] if g not in self.cutoffs]
        if missing:
            raise ValueError(f"cutoffs: no cutoff for grade(s) {missing}")
        extra = [g for g in self.cutoffs if g not in self.grades[:-1]]
        if extra:
            raise ValueError(f"cutoffs: {extra} are not grades above the last")
        return self
