"""Schema of the ``visit:`` policy section: 客户拜访管理办法 (004: the monthly 拜访计划书 and the
客户拜访报告) and 客户参观接待管理制度 (002 第二条: a customer's visit to the site, with its notice
by kind of visit)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from policy.base import (
    Duration,
    Escalation,
    _duration,
    _positive_duration,
    assignee_ref_problem,
    notify_ref_problem,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteVisitKind(_Strict):
    """One kind of site visit (002 第二条): its notice before the visit and who approves it."""

    label: str
    label_en: str = ""
    # The latest the visit is confirmed before it starts: "3 days" (calendar days, the
    # seed's 参观前三天), "1 day", "1 hour" (clock hours); "N working days" counts working days.
    notice: Duration
    approver: str   # handler (the requester's superior), head:DEPT, role:ROLE or person:KEY

    _d = field_validator("notice", mode="before")(_positive_duration)


class VisitPolicy(_Strict):
    plan_prefix: str = "BF"          # 拜访计划书 numbers BF-202701-001
    request_prefix: str = "CG"       # 参观申请 numbers CG-2026-000001
    salespeople: str = "role:salesperson"   # who owes a monthly plan
    # 004 拜访计划: 销售人员每月底提出次月拜访计划书 — the day of the month before the plan's
    # month by which it is due ("last": the month's last day), at close of business.
    plan_due_day: int | Literal["last"] = "last"
    plan_reviewer: str = "handler"   # 呈部门主管审核: handler = the salesperson's superior
    plan_review_due: Duration        # policy silent
    report_due: Duration             # 004 拜访后续作业: 拜访应于两天内提出客户拜访报告
    max_visits_per_plan: int = Field(default=60, gt=0)   # policy silent: a month's page
    site_visits: dict[str, SiteVisitKind]
    escalation: Escalation           # the ladder of every visit clock

    _d = field_validator("plan_review_due", "report_due", mode="before")(_duration)

    @field_validator("plan_due_day")
    @classmethod
    def _a_day_of_every_month(cls, day: int | str) -> int | str:
        if isinstance(day, int) and not 1 <= day <= 28:
            raise ValueError(f"{day} is not a day every month has (1–28, or last)")
        return day

    @field_validator("site_visits")
    @classmethod
    def _some_kind(cls, kinds: dict[str, SiteVisitKind]) -> dict[str, SiteVisitKind]:
        if not kinds:
            raise ValueError("at least one kind of site visit")
        return kinds

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        """Every approver and escalation target names somebody in the organisation."""
        refs = [("visit.salespeople", self.salespeople), ("visit.plan_reviewer", self.plan_reviewer)]
        refs += [(f"visit.site_visits.{key}.approver", kind.approver)
                 for key, kind in self.site_visits.items()]
        for where, ref in refs:
            problem = assignee_ref_problem(ref, policy)
            if problem:
                raise ValueError(f"{where}: {problem}")
        if not self.salespeople.startswith("role:"):
            raise ValueError("visit.salespeople: write role:ROLE (everybody with that role)")
        for lvl in self.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"visit.escalation.ladder[{lvl.level - 1}].notify: {problem}")
