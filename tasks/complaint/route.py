"""Routing a classified complaint to the responsible department and handler (000 D2 §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from policy.complaint.schema import Category, ComplaintPolicy, ReturnRule
from policy.schema import Policy


@dataclass(frozen=True)
class Route:
    category: str
    department: str
    handler: str
    procedure: str
    public_criticism: bool
    notify_superior: bool
    return_assessment: str | None = None


@dataclass(frozen=True)
class ReturnAssessment:
    """000 D2 §3.2: what the return procedure says about this case."""

    kind: str  # "unconditional", "storage_excluded" or "investigate"
    reason: str


def assess_return(
    content: str, shipped_on: date | None, received_on: date, rule: ReturnRule
) -> ReturnAssessment:
    """Mould within ``unconditional_return_days`` of leaving the warehouse (销售出库审核表) is
    returned unconditionally; damage from the customer's storage is not a quality accident."""
    text = content.casefold()
    if any(word.casefold() in text for word in rule.storage_damage_keywords):
        return ReturnAssessment(
            "storage_excluded", "仓储不当导致的发霉、瓶盖扭断、渗漏不属于质量事故，不予退货"
        )
    mould = any(word.casefold() in text for word in rule.mould_keywords)
    if mould and shipped_on is not None:
        age = (received_on - shipped_on).days
        if age < 0:
            return ReturnAssessment(
                "investigate", f"出库日期 {shipped_on} 晚于收到投诉日期 {received_on}，请核对销售出库审核表"
            )
        if 0 <= age <= rule.unconditional_return_days:
            return ReturnAssessment(
                "unconditional",
                f"出库{age}天内发霉（≤{rule.unconditional_return_days}天），核对销售出库审核表后无条件退货",
            )
        return ReturnAssessment(
            "investigate",
            f"出库已{age}天（>{rule.unconditional_return_days}天），质量部调查事实后按退货流程办理",
        )
    if mould:
        return ReturnAssessment("investigate", "发霉但未提供出库日期，需核对销售出库审核表")
    return ReturnAssessment("investigate", "质量部根据调查、状况事实按退货流程办理")


def route(
    category_key: str,
    policy: Policy,
    content: str = "",
    shipped_on: date | None = None,
    received_on: date | None = None,
) -> Route:
    """The department, handler and procedure for a category, per the policy's routing table."""
    complaint: ComplaintPolicy = policy.complaint
    category: Category = complaint.category(category_key)
    department = policy.organisation.department(category.department)
    handler = department.head if category.handler == "head" else category.handler
    if handler is None:
        raise ValueError(f"department {department.key!r} has no head to handle {category_key!r}")
    assessment = None
    if category_key == complaint.return_rule.category and received_on is not None:
        assessment = assess_return(content, shipped_on, received_on, complaint.return_rule).reason
    return Route(
        category=category.key,
        department=department.key,
        handler=handler,
        procedure=category.procedure,
        public_criticism=category.public_criticism,
        notify_superior=category.notify_superior_if_unanswered,
        return_assessment=assessment,
    )
