"""Schema of the ``credit:`` policy section: credit limits and over-limit shipments
(授信规定, 超授信额开票发货), 004 D2."""

from __future__ import annotations

from fractions import Fraction

from pydantic import Field, field_validator, model_validator

from policy.base import Duration, Escalation, _duration, _Strict, assignee_ref_problem, notify_ref_problem

TERRITORY_MANAGER = "territory_manager"


class ApproverBand(_Strict):
    """Who signs a shipment whose excess over the limit is below ``below`` × the limit
    (a fraction such as "1/3"; the last band has none: every larger excess)."""

    below: Fraction | None = None
    approver: str

    @field_validator("below", mode="before")
    @classmethod
    def _fraction(cls, value: object) -> Fraction | None:
        if value is None:
            return None
        try:
            ratio = Fraction(str(value).replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a ratio (write e.g. 1/3 or 0.5)") from None
        if ratio <= 0:
            raise ValueError(f"{value!r} must be more than 0")
        return ratio


class CreditPolicy(_Strict):
    number_prefix: str = "SX"          # policy silent: request numbers SX-2026-000001
    window_days: int = Field(gt=0)     # 004 D2 §1.2: 授信额: 客户开票发货日前三十天货款
    # 004 D2 §2.2.1: 区域经理签发 … 发货额应小于授信额的三分之一; more: the next level (the
    # document names none: policy silent). Ordered by ``below``; the last band has none.
    approvers: list[ApproverBand]
    # Who the regional manager (区域经理) of a customer is: the person with this role whose
    # territories include the customer's (policy silent: 片区科长 in this company).
    territory_manager_role: str
    decision_due: Duration             # policy silent: a shipment waits for its signature
    escalation: Escalation

    _d = field_validator("decision_due", mode="before")(_duration)

    @model_validator(mode="after")
    def _bands(self) -> CreditPolicy:
        if not self.approvers:
            raise ValueError("approvers: at least one band")
        *bounded, last = self.approvers
        if last.below is not None:
            raise ValueError("approvers: the last band takes every larger excess (no below)")
        limits = [band.below for band in bounded]
        if any(b is None for b in limits):
            raise ValueError("approvers: only the last band may leave out below")
        if limits != sorted(set(limits)):
            raise ValueError("approvers: below must increase from band to band")
        return self

    def check_references(self, policy) -> None:  # noqa: ANN001  (a policy.schema.Policy)
        for i, band in enumerate(self.approvers):
            if band.approver == TERRITORY_MANAGER:
                continue
            problem = assignee_ref_problem(band.approver, policy)
            if problem:
                raise ValueError(f"credit.approvers[{i}].approver: {problem}")
        if not any(self.territory_manager_role in p.roles for p in policy.organisation.people):
            raise ValueError(f"credit.territory_manager_role: no person has role "
                             f"{self.territory_manager_role!r}")
        for lvl in self.escalation.ladder:
            for ref in lvl.notify:
                problem = notify_ref_problem(ref, policy)
                if problem:
                    raise ValueError(f"credit.escalation.ladder[{lvl.level - 1}].notify: {problem}")
