"""What the complaint variants' decisions carry, checked on every path (CLI, inbox, API;
tasks/decision_checks.py): an emergency meeting's attendees (004 D15), a compensation's amount
against the authority table (004 D5 §2.9)."""

from __future__ import annotations

from models import ApprovalTask
from policy.schema import Policy
from tasks.approvals import ApprovalError
from tasks.complaint.variant_rules import compensation_approver

MAJOR_WARNING = "major_warning"
EMERGENCY_MEETING = "emergency_meeting"
COMPENSATION = "compensation"
REASSIGN_CUSTOMER = "reassign_customer"


def check_variant_decision(policy: Policy, task: ApprovalTask, data: dict) -> dict:
    """The meeting names its attendees (people of the policy); a handling decision's
    compensation (``amount``, 元) is a whole positive number the authority table covers;
    Raises ApprovalError naming the field."""
    data = dict(data)
    if task.step == EMERGENCY_MEETING:
        attendees = [a for a in data.get("attendees") or [] if a]
        if not attendees:
            raise ApprovalError("--attendee: the meeting's attendees are required", task)
        for person in attendees:
            if not any(p.key == person for p in policy.organisation.people):
                raise ApprovalError(f"--attendee: {person!r} is not a person in the policy", task)
        data["attendees"] = attendees
    elif data.get("attendees"):
        raise ApprovalError(f"--attendee: {task.step} is not a meeting", task)
    if data.get("amount") not in (None, ""):
        data["amount"] = _amount(policy, task, data["amount"])
    return data


def _amount(policy: Policy, task: ApprovalTask, value: object) -> int:
    table = policy.complaint.compensation
    if table is None:
        raise ApprovalError("--amount: this policy has no compensation authority table "
                            "(complaint.compensation)", task)
    if task.step in (COMPENSATION, MAJOR_WARNING, EMERGENCY_MEETING, REASSIGN_CUSTOMER):
        raise ApprovalError(f"--amount: {task.step} does not propose a compensation", task)
    try:
        amount = int(str(value).strip())
    except ValueError:
        raise ApprovalError(f"--amount: {value!r} is not a whole number of 元", task) from None
    try:
        compensation_approver(amount, table)
    except ValueError as exc:
        raise ApprovalError(f"--amount: {exc}", task) from None
    return amount
