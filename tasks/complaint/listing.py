"""Finding complaints: the list a process owner or a system asks for (``kefu complaint list``,
``GET /api/v1/complaints``), each case with the step it waits on, who holds it, its next due
time and whether it is overdue, at risk or on time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, Clock, Complaint, ComplaintStatus
from policy.schema import Policy
from tasks.complaint.intake import PROCESS

TIMINGS = ("overdue", "at_risk", "on_time")
MAX_LIMIT = 500


@dataclass(frozen=True)
class ComplaintFilter:
    """What to look for; ``None`` means any. ``timing`` is one of :data:`TIMINGS`, judged by
    the case's open clocks: overdue once one is past due, at risk once one falls due within
    the policy's ``approvals.at_risk`` span."""

    status: str | None = None
    department: str | None = None
    # Only these departments' cases (a department head's view); None: every case.
    within: frozenset[str] | None = None
    category: str | None = None
    timing: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 100
    offset: int = 0

    def problem(self) -> tuple[str, str] | None:
        """(field, why) for the first value that can match nothing, or None."""
        if self.status and self.status not in set(ComplaintStatus):
            return "status", f"{self.status!r} is not one of {', '.join(ComplaintStatus)}"
        if self.timing and self.timing not in TIMINGS:
            return "timing", f"{self.timing!r} is not one of {', '.join(TIMINGS)}"
        if not 1 <= self.limit <= MAX_LIMIT:
            return "limit", f"must be between 1 and {MAX_LIMIT}"
        if self.offset < 0:
            return "offset", "must not be negative"
        if self.received_from and self.received_to and self.received_from > self.received_to:
            return "received_to", "is before received_from"
        return None


def departments_visible_to(policy: Policy, person: str) -> frozenset[str] | None:
    """Whose complaints a person may list and open as a process owner (issue 17 §3): None for
    every case — a ``complaint.case_viewers`` entry of the policy names them (person:KEY,
    head:DEPT, role:ROLE) —, else the departments they head (empty: none)."""
    org = policy.organisation
    try:
        roles = set(org.person(person).roles)
    except KeyError:
        return frozenset()
    for ref in policy.complaint.case_viewers:
        kind, _, arg = ref.partition(":")
        if ((kind == "person" and arg == person) or (kind == "role" and arg in roles)
                or (kind == "head" and org.department(arg).head == person)):
            return None
    return frozenset(d.key for d in org.departments if d.head == person)


def may_see(visible: frozenset[str] | None, department: str | None) -> bool:
    """Whether a case of ``department`` (None: not routed yet) is within ``visible``."""
    return visible is None or (department is not None and department in visible)


def timing_of(due_at: datetime | None, moment: datetime, risk_from: datetime) -> str:
    """overdue / at_risk / on_time for a due time (None: nothing is running, so on time)."""
    if due_at is None or due_at > risk_from:
        return "on_time"
    return "overdue" if due_at <= moment else "at_risk"


def _open_clocks_due_by(moment: datetime) -> Select:
    return select(Clock.case_number).where(Clock.process == PROCESS, Clock.met_at.is_(None),
                                           Clock.due_at <= moment)


def find_complaints(session: Session, wanted: ComplaintFilter, moment: datetime,
                    risk_from: datetime) -> list[dict]:
    """The complaints ``wanted`` describes, newest first, as rows (times as datetimes)."""
    query = select(Complaint).order_by(Complaint.id.desc())
    if wanted.within is not None:
        query = query.where(Complaint.department_key.in_(sorted(wanted.within)))
    for column, value in ((Complaint.status, wanted.status),
                          (Complaint.department_key, wanted.department),
                          (Complaint.category, wanted.category)):
        if value:
            query = query.where(column == value)
    if wanted.received_from:
        query = query.where(Complaint.received_at >= wanted.received_from)
    if wanted.received_to:
        query = query.where(Complaint.received_at <= wanted.received_to)
    if wanted.timing == "overdue":
        query = query.where(Complaint.number.in_(_open_clocks_due_by(moment)))
    elif wanted.timing == "at_risk":
        query = query.where(Complaint.number.in_(_open_clocks_due_by(risk_from)),
                            Complaint.number.not_in(_open_clocks_due_by(moment)))
    elif wanted.timing == "on_time":
        query = query.where(Complaint.number.not_in(_open_clocks_due_by(risk_from)))
    complaints = list(session.scalars(query.limit(wanted.limit).offset(wanted.offset)))
    numbers = [c.number for c in complaints]
    next_due: dict[str, datetime] = {}
    for number, due_at in session.execute(
            select(Clock.case_number, Clock.due_at).where(
                Clock.process == PROCESS, Clock.met_at.is_(None),
                Clock.case_number.in_(numbers))):
        next_due[number] = min(due_at, next_due.get(number, due_at))
    waiting: dict[str, list[dict]] = {}
    for task in session.scalars(select(ApprovalTask).where(
            ApprovalTask.process == PROCESS, ApprovalTask.status == ApprovalStatus.PENDING,
            ApprovalTask.case_number.in_(numbers)).order_by(ApprovalTask.id)):
        waiting.setdefault(task.case_number, []).append(
            {"task": task.id, "step": task.step, "label": task.label,
             "assignee": task.assignee_key, "due_at": task.due_at})
    return [{"number": c.number, "status": c.status, "category": c.category,
             "department": c.department_key, "handler": c.handler_key,
             "customer": c.customer.name, "received_at": c.received_at,
             "waiting_on": waiting.get(c.number, []), "next_due_at": next_due.get(c.number),
             "timing": timing_of(next_due.get(c.number), moment, risk_from)}
            for c in complaints]
