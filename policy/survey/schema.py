"""Schema of the ``survey:`` policy section: the yearly customer satisfaction survey
(顾客满意度调查) and its corrective and preventive actions (纠正预防措施), 000 D4 §6."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from policy.base import (
    Duration,
    Escalation,
    Named,
    _duration,
    _Strict,
    assignee_ref_problem,
    notify_ref_problem,
)


class SurveyPolicy(_Strict):
    number_prefix: str = "MY"          # policy silent: round numbers MY-2026
    # 000 D4 §6 b: 内容应包括服务质量、套餐价格、公司评价等 — the aspects a questionnaire rates.
    aspects: dict[str, Named]
    scale_max: int = Field(default=5, gt=1)        # policy silent: answers 1–5
    satisfied_from: int = Field(default=4, gt=0)   # policy silent: 4 or 5 counts as satisfied
    # 000 D4 §6 d: 未能达到公司规定要求 — the document leaves the requirement to the company;
    # policy silent, 90% as the property-service variant's KPI (PROCESSES.md §4).
    target_percent: float = Field(default=90, gt=0, le=100)
    organiser: str                     # 000 D4 §6 b/d: 公司办公室 sends the survey, organises CAPA
    results_due: Duration              # policy silent: time to collect and enter the answers
    capa_owner: str                    # 000 D4 §6 d: 由办公室组织 — who writes the plan
    plan_due: Duration                 # policy silent: time to write the plan
    plan_approver: str                 # policy silent: the manager who approves the plan
    plan_approval_due: Duration        # policy silent
    action_period: Duration            # policy silent: the plan's due date when it names none
    effect_checker: str                # policy silent: who checks the effect after the due date
    effect_check_due: Duration         # policy silent: time to check it, from the due date
    escalation: Escalation

    _d = field_validator("results_due", "plan_due", "plan_approval_due", "action_period",
                         "effect_check_due", mode="before")(_duration)

    @model_validator(mode="after")
    def _scale(self) -> SurveyPolicy:
        if not self.aspects:
            raise ValueError("aspects: at least one aspect")
        if self.satisfied_from > self.scale_max:
            raise ValueError("satisfied_from: above scale_max")
        return self

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        """Every assignee and escalation target names somebody in the organisation."""
        for name in ("organiser", "capa_owner", "plan_approver", "effect_checker"):
            problem = assignee_ref_problem(getattr(self, name), policy)
            if problem:
                raise ValueError(f"survey.{name}: {problem}")
        for lvl in self.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"survey.escalation.ladder[{lvl.level - 1}].notify: {problem}")
