"""The complaint variants' rules as pure functions (README "Complaint variants"): which
complaint is major (004 D5 §2.5, 004 D15), who approves a compensation (004 D5 §2.9), and the
fines of a customer grumble (000 D5 §3). No database, no Prefect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policy.complaint.schema import Compensation, Grumbles, MajorComplaints

REPEAT = "repeat"


def major_triggers(rule: MajorComplaints, flags: list[str] | tuple[str, ...],
                   received_at: datetime, earlier_complaint_at: datetime | None) -> list[str]:
    """004 D5 §2.5 (重大客户投诉包括：重复投诉、向厂方投诉、堵门、闹事、退换车、媒体负面报道):
    the triggers that make a complaint major — the flags given at filing that are triggers of
    the policy, and ``repeat`` when the customer complained before within ``repeat_within``
    (found from their history). Empty: a general complaint (004 D15: 一般投诉)."""
    keys = {t.key for t in rule.triggers}
    found = [flag for flag in flags if flag in keys and flag != REPEAT]
    if (rule.repeat_within is not None and earlier_complaint_at is not None
            and earlier_complaint_at <= received_at
            and received_at - earlier_complaint_at <= _span(rule)):
        found.insert(0, REPEAT)
    return found


def _span(rule: MajorComplaints):
    from datetime import timedelta

    span = rule.repeat_within
    # "N working days" of history is read as calendar days: a repeat is a fact about the
    # customer, not a deadline anybody works to.
    hours = {"minutes": span.amount / 60, "hours": span.amount}.get(span.unit, span.amount * 24)
    return timedelta(hours=hours)


def compensation_approver(amount: int, table: Compensation) -> str:
    """004 D5 §2.9 (按权限核决表审批): the approver (an assignee ref) of the first row of the
    authority table whose limit covers ``amount`` 元. Beyond the last limit: ValueError."""
    if amount <= 0:
        raise ValueError(f"a compensation is a positive amount (got {amount})")
    for row in table.authority:
        if row.up_to is None or amount <= row.up_to:
            return row.approver
    raise ValueError(f"{amount} 元 is above every limit of the authority table "
                     f"({table.authority[-1].up_to} 元)")


@dataclass(frozen=True)
class Fine:
    """One fine of one person for one grumble (000 D5 §3.2): who, how much (元), which rule."""

    person: str
    amount: int
    rule: str  # "A", "B" or "C" of 000 D5 §3.2


def grumble_fines(rule: Grumbles, *, staff: str | None, manager: str | None,
                  to_general_manager: bool, resolved_late: bool) -> list[Fine]:
    """000 D5 §3.2 (顾客抱怨处理规定), read as one fine per person per grumble:
    A 顾客未投诉：当事员工每次 ``fine_found``;
    B 顾客向总经理投诉：部门经理及当事员工每人每次 ``fine_to_general_manager``;
    C 无论何种情况，三日之内不能处理好：部门经理及当事员工每人每次 ``fine_unresolved``
    (the "500 元 cases"), which replaces A or B — the heavier rule for the same grumble.
    A person the case does not name (no staff member given) is not fined."""
    if resolved_late:
        amount, code, who = rule.fine_unresolved, "C", [manager, staff]
    elif to_general_manager:
        amount, code, who = rule.fine_to_general_manager, "B", [manager, staff]
    else:
        amount, code, who = rule.fine_found, "A", [staff]
    people = [p for p in dict.fromkeys(who) if p]
    return [Fine(person=p, amount=amount, rule=code) for p in people]
