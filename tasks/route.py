"""Routing a classified complaint to the responsible department and handler (000 D2 §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from policy.schema import Category, ComplaintPolicy, Policy, ReturnRule


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
    """Mould within ``unconditional_return_days`` of leaving the warehouse (銷售出庫審核表) is
    returned unconditionally; damage from the customer's storage is not a quality accident."""
    text = content.casefold()
    if any(word.casefold() in text for word in rule.storage_damage_keywords):
        return ReturnAssessment(
            "storage_excluded", "倉儲不當導致的發霉、瓶蓋扭斷、滲漏不屬於質量事故，不予退貨"
        )
    mould = any(word.casefold() in text for word in rule.mould_keywords)
    if mould and shipped_on is not None:
        age = (received_on - shipped_on).days
        if age < 0:
            return ReturnAssessment(
                "investigate", f"出庫日期 {shipped_on} 晚於收到投訴日期 {received_on}，請核對銷售出庫審核表"
            )
        if 0 <= age <= rule.unconditional_return_days:
            return ReturnAssessment(
                "unconditional",
                f"出庫{age}天內發霉（≤{rule.unconditional_return_days}天），核對銷售出庫審核表後無條件退貨",
            )
        return ReturnAssessment(
            "investigate",
            f"出庫已{age}天（>{rule.unconditional_return_days}天），質量部調查事實後按退貨流程辦理",
        )
    if mould:
        return ReturnAssessment("investigate", "發霉但未提供出庫日期，需核對銷售出庫審核表")
    return ReturnAssessment("investigate", "質量部根據調查、狀況事實按退貨流程辦理")


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
