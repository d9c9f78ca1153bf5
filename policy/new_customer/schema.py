"""Schema of the ``new_customer:`` policy section: 销售部门新客户开发管理办法 (000 D8) and the
registration rule of 客户管理制度 (000 D9)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from policy.base import (
    Duration,
    Escalation,
    Named,
    _duration,
    assignee_ref_problem,
    notify_ref_problem,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChainStep(_Strict):
    """One person in a sequential chain, by role (resolved through the organisation)."""

    key: str
    label: str
    assignee: str
    due: Duration

    _d = field_validator("due", mode="before")(_duration)


class BudgetRules(_Strict):
    due: Duration                       # 000 D8 §5.1: 7日内编制费用预算表
    preliminary_max: Decimal            # 000 D8 §5.1: 前期开发费用总额不得高于3万元
    overrun_tolerance_percent: Decimal  # 000 D8 §5.1: 不得超预算5%
    audit: list[ChainStep]              # 000 D8 §5.2: 副组长、财务部审核后组长批准
    overrun_approver: str               # who approves a spend beyond the tolerance
    overrun_due: Duration               # policy silent: time to decide such a spend

    _d = field_validator("due", "overrun_due", mode="before")(_duration)


class ReviewOffsets(_Strict):
    """Days after the project's approval (立项) at which each review falls (000 D8 §4)."""

    tracking: int = Field(gt=0)    # §4.1: 至少30天做好跟踪记录
    attention: int = Field(gt=0)   # §4.2: 三个月内没有明显进展 → 特别关注
    decision: int = Field(gt=0)    # §4.2: 六个月内没有实质性突破 → 专题研究
    report: int = Field(gt=0)      # §4.2: 一年内达不到标准 → 书面报告
    tracking_reminder_before: int = Field(ge=0)  # policy silent

    @model_validator(mode="after")
    def _ordered(self) -> ReviewOffsets:
        if not self.attention < self.decision < self.report:
            raise ValueError("attention < decision < report days are required")
        if self.tracking_reminder_before >= self.tracking:
            raise ValueError("tracking_reminder_before must be shorter than tracking")
        return self


class Ladders(_Strict):
    """The shared sweep's ladders for this process's clocks, by kind of clock."""

    overdue: Escalation      # an approval or a tracking record not given in time
    reminder: Escalation     # the tracking record is due soon
    attention: Escalation    # day 90 with no progress


class NewCustomerPolicy(_Strict):
    number_prefix: str = "XK"
    thresholds: dict[str, Decimal]   # product line → minimum expected annual new business
    product_lines: dict[str, Named] = {}   # product line → its name (铸球, 设备)
    override_approver: str           # who may let a non-qualifying prospect through
    application: list[ChainStep]
    budget: BudgetRules
    reviews: ReviewOffsets
    decision_step: ChainStep         # day 180: 专题研究, continue / suspend / terminate / hand over
    report_chain: list[ChainStep]    # day 365: written report → group → deputy → leader
    outcomes: list[str] = ["continue", "suspend", "terminate", "hand_over"]
    registration_due: Duration       # 000 D9 §1.4: 5个工作日内备案
    temporary_tier_review_months: int = Field(gt=0)  # 000 D7: 6个月后重新评定
    # 000 D7 §5.1.2 D: a new customer gets a temporary grade by its cooperation; which one when
    # registration names none is policy silent (None: registration must name it).
    temporary_grade: str | None = None
    reward_chain: list[ChainStep]    # 000 D8 §6: 评审组 → 财务部 → 董事长
    ladders: Ladders

    _d = field_validator("registration_due", mode="before")(_duration)

    @field_validator("thresholds")
    @classmethod
    def _non_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if not value:
            raise ValueError("at least one product line")
        bad = [k for k, v in value.items() if v < 0]
        if bad:
            raise ValueError(f"negative threshold for {bad}")
        return value

    def ladder(self, clock_name: str) -> Escalation:
        if clock_name.startswith("review:tracking-reminder"):
            return self.ladders.reminder
        if clock_name == "review:attention":
            return self.ladders.attention
        return self.ladders.overdue

    def chains(self) -> list[tuple[str, ChainStep]]:
        steps = [*self.application, *self.budget.audit, self.decision_step,
                 *self.report_chain, *self.reward_chain]
        return [(s.key, s) for s in steps]

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        """Every assignee and escalation target names somebody in the organisation."""
        refs = [("new_customer.override_approver", self.override_approver),
                ("new_customer.budget.overrun_approver", self.budget.overrun_approver)]
        refs += [(f"new_customer.{key}.assignee", step.assignee) for key, step in self.chains()]
        for where, ref in refs:
            problem = assignee_ref_problem(ref, policy)
            if problem:
                raise ValueError(f"{where}: {problem}")
        for name in ("overdue", "reminder", "attention"):
            for lvl in getattr(self.ladders, name).ladder:
                for ref in lvl.notify:
                    problem = notify_ref_problem(ref, policy)
                    if problem:
                        raise ValueError(f"new_customer.ladders.{name}[{lvl.level - 1}]: {problem}")
