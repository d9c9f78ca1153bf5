"""The whole policy. A policy is data: the code never hard-codes a department, a person or a
number from a policy document; it reads them from an instance of :class:`Policy`.

The shared sections (policy/base.py) and each process's section
(policy/<process>/schema.py), with the checks that span them (people and departments a
process names must exist). Each process's section: policy/<process>/schema.py."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from policy.archives.schema import ArchivesPolicy
from policy.base import (
    ApprovalsPolicy,
    CalendarPolicy,
    Channels,
    Organisation,
    _Strict,
    assignee_ref_problem,
    notify_ref_problem,
)
from policy.callback.schema import CallbackPolicy
from policy.complaint.schema import ComplaintPolicy
from policy.credit.schema import CreditPolicy
from policy.new_customer.schema import NewCustomerPolicy
from policy.survey.schema import SurveyPolicy
from policy.tier.schema import TierPolicy
from policy.visit.schema import VisitPolicy


class Policy(_Strict):
    name: str
    title: str = ""
    source: str = ""
    locale: Literal["zh-CN", "zh-TW", "en"] = "zh-CN"
    calendar: CalendarPolicy = CalendarPolicy()
    organisation: Organisation
    channels: Channels = Channels()
    complaint: ComplaintPolicy
    new_customer: NewCustomerPolicy | None = None  # 000 D8/D9; see policy/new_customer/schema.py
    # 000 D7: 客户等级评定 (optional: a policy without it has no tier assessment).
    tier_assessment: TierPolicy | None = None
    visit: VisitPolicy | None = None  # visit plans, reports, site visits; policy/visit/schema.py
    callback: CallbackPolicy | None = None  # 004 D14 回访; see policy/callback/schema.py
    survey: SurveyPolicy | None = None  # 000 D4 §6; see policy/survey/schema.py
    credit: CreditPolicy | None = None  # 004 D2; see policy/credit/schema.py
    approvals: ApprovalsPolicy = ApprovalsPolicy()
    # 000 D11 / 000 D9 §1.5 / 004 第19条: customer archives and confidentiality (optional).
    archives: ArchivesPolicy | None = None

    @model_validator(mode="after")
    def _complaint_references_resolve(self) -> Policy:
        org = self.organisation
        depts = {d.key for d in org.departments}
        for i, c in enumerate(self.complaint.categories):
            if c.department not in depts:
                raise ValueError(
                    f"complaint.categories[{i}].department: unknown department {c.department!r}"
                )
            if c.handler != "head" and c.handler not in {p.key for p in org.people}:
                raise ValueError(f"complaint.categories[{i}].handler: unknown person {c.handler!r}")
        refs = [("complaint.triage_assignee", self.complaint.triage_assignee),
                ("complaint.feedback_officer", self.complaint.feedback_officer)]
        refs += [(f"complaint.handling_steps[{i}].assignee", s.assignee)
                 for i, s in enumerate(self.complaint.handling_steps)]
        refs += [(f"complaint.case_viewers[{i}]", ref)
                 for i, ref in enumerate(self.complaint.case_viewers)]
        refs += [(f"complaint.handling_steps[{i}].{field}", ref)
                 for i, s in enumerate(self.complaint.handling_steps)
                 for field in ("signers", "cc") for ref in getattr(s, field)]
        for where, ref in refs:
            problem = assignee_ref_problem(ref, self)
            if problem:
                raise ValueError(f"{where}: {problem}")
        for lvl in self.complaint.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, self)
                if problem:
                    raise ValueError(
                        f"complaint.escalation.ladder[{lvl.level - 1}].notify: {problem}"
                    )
        self.complaint.check_references(self)  # its variants' people (major, compensation…)
        if self.new_customer is not None:
            self.new_customer.check_references(self)
        for section in (self.survey, self.credit):
            if section is not None:
                section.check_references(self)
        if self.visit is not None:
            self.visit.check_references(self)
        if self.callback is not None:
            self.callback.check_references(self)
        if self.archives is not None:
            self.archives.check_references(self)
        return self


    @model_validator(mode="after")
    def _tier_references_resolve(self) -> Policy:
        tiers = self.tier_assessment
        if tiers is None:
            return self
        refs = [("convener", tiers.convener), ("pregrader", tiers.pregrader),
                ("order_exception_approver", tiers.order_exception_approver)]
        refs += [(f"a_application_chain[{i}]", ref) for i, ref in enumerate(tiers.a_application_chain)
                 if ref != "territory_chief"]
        for where, ref in refs:
            problem = assignee_ref_problem(ref, self)
            if problem:
                raise ValueError(f"tier_assessment.{where}: {problem}")
        depts = {d.key for d in self.organisation.departments}
        for dept in tiers.publish_to_departments:
            if dept not in depts:
                raise ValueError(f"tier_assessment.publish_to_departments: unknown department {dept!r}")
        for lvl in tiers.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, self)
                if problem:
                    raise ValueError(f"tier_assessment.escalation.ladder[{lvl.level - 1}].notify: {problem}")
        return self
