"""Intake (受理): check a complaint, give it a number, store it, start its clocks.

000 D2 §2: every channel registers within 24 h (登记) and answers the customer within 24 h
(答复/回复确认); handling may take 3 working days from receipt (§3).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import CaseEvent, Complaint, ComplaintStatus, Customer
from models.db import session_scope
from policy.schema import Policy
from tasks import events
from tasks.addresses import email_problem
from tasks.clocks import start_clock
from tasks.complaint.priority import complaint_priority
from tasks.deadlines import calendar_for, now
from tasks.people import resolve_assignee
from tasks.text import one_line

PROCESS = "complaint"
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")
MAX_CONTENT = 5000
MAX_STAFF = 64


class IntakeError(ValueError):
    """A complaint that cannot be accepted; ``field`` names the bad input."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}")
        self.field = field


@dataclass(frozen=True)
class ComplaintInput:
    """The 客户投诉表: who complains, how, and about what."""

    channel: str
    customer: str
    phone: str
    content: str
    address: str | None = None
    email: str | None = None
    shipped_on: date | None = None
    important: bool = False
    # 000 D2 §3.3: a complaint about service or attitude names the staff member (被投诉的
    # 当事人) whom 营管办 criticises; the customer's words, as the form records them.
    staff: str | None = None
    # Variants (README "Complaint variants"): the flags given at filing (004 D5's
    # major-complaint triggers, 000 D5's complaint to the GM) and who took the call (000 D12's
    # 第一责任者).
    triggers: tuple[str, ...] = ()
    taken_by: str | None = None


def parse_complaint(
    policy: Policy, *, channel: str, customer: str, phone: str, content: str,
    address: str | None = None, email: str | None = None, shipped_on: str | None = None,
    important: bool = False, today: date | None = None, staff: str | None = None,
    triggers: list[str] | tuple[str, ...] | None = None, taken_by: str | None = None,
) -> ComplaintInput:
    """Check every field; the first bad one raises IntakeError naming it."""
    if channel not in policy.complaint.channels:
        raise IntakeError("channel", f"{channel!r} is not one of {', '.join(policy.complaint.channels)}")
    if not (customer or "").strip():
        raise IntakeError("customer", "the customer's name is required")
    if not (phone or "").strip():
        raise IntakeError("phone", "the customer's phone number is required")
    if not _PHONE.match(phone.strip()):
        raise IntakeError("phone", f"{phone!r} is not a phone number (digits, spaces, - and +)")
    if not (content or "").strip():
        raise IntakeError("content", "the complaint's content is empty")
    if len(content) > MAX_CONTENT:
        raise IntakeError("content", f"longer than {MAX_CONTENT} characters")
    if email is not None and (problem := email_problem(email.strip())):
        raise IntakeError("email", problem)
    shipped: date | None = None
    if shipped_on:
        try:
            shipped = date.fromisoformat(shipped_on)
        except ValueError:
            raise IntakeError("shipped_on", f"{shipped_on!r} is not a date (YYYY-MM-DD)") from None
        if today is not None and shipped > today:
            raise IntakeError("shipped_on", f"{shipped_on} is in the future")
    staff = one_line(staff or "") or None
    if staff is not None and len(staff) > MAX_STAFF:
        raise IntakeError("staff", f"longer than {MAX_STAFF} characters")
    return ComplaintInput(
        channel=channel, customer=customer.strip(), phone=phone.strip(), content=content.strip(),
        address=(address or "").strip() or None, email=email.strip() if email else None,
        shipped_on=shipped, important=important, staff=staff,
        triggers=_triggers(policy, triggers), taken_by=_taken_by(policy, taken_by),
    )


def _triggers(policy: Policy, given: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The filing flags, each one the policy knows (004 D5 §2.5, 000 D5 §3)."""
    known = policy.complaint.filing_flags()
    chosen: list[str] = []
    for flag in given or ():
        flag = str(flag).strip()
        if flag not in known:
            allowed = ", ".join(known) if known else "none under this policy"
            raise IntakeError("trigger", f"{flag!r} is not a flag of this policy ({allowed})")
        if flag not in chosen:
            chosen.append(flag)
    return tuple(chosen)


def _taken_by(policy: Policy, taken_by: str | None) -> str | None:
    """000 D12: the person who took the call, a person of the policy; required where the
    policy has a 第一责任者, refused where it has none."""
    taken_by = (taken_by or "").strip() or None
    if policy.complaint.first_responsible is None:
        if taken_by:
            raise IntakeError("taken_by", "this policy names no first responsible person "
                                          "(complaint.first_responsible)")
        return None
    if taken_by is None:
        raise IntakeError("taken_by", "required by this policy: who took the call "
                                      "(第一责任者, 000 D12)")
    try:
        policy.organisation.person(taken_by)
    except KeyError:
        raise IntakeError("taken_by", f"{taken_by!r} is not a person in the policy") from None
    return taken_by


def file_complaint(policy: Policy, complaint: ComplaintInput,
                   also: Callable[[Session, Complaint], None] | None = None) -> Complaint:
    """Store the complaint with a new number and start the register, reply and handling
    clocks, in one transaction. Retries the number when a concurrent filing took it.

    ``also`` writes what must be stored with the case or not at all (the API's idempotency
    key, its audit entry), in the same transaction; what it raises undoes the filing."""
    for _ in range(5):
        try:
            with session_scope() as session:
                filed = _insert(session, policy, complaint)
                if also is not None:
                    also(session, filed)
                return filed
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a complaint number after 5 tries")


def _insert(session: Session, policy: Policy, data: ComplaintInput) -> Complaint:
    received = now()
    tz = ZoneInfo(policy.calendar.timezone)
    customer = _customer(session, data, received)
    number = next_number(session, policy, received.astimezone(tz).year)
    complaint = Complaint(
        number=number, policy_name=policy.name, channel=data.channel, customer=customer,
        content=data.content, shipped_on=data.shipped_on, important=data.important,
        status=ComplaintStatus.RECEIVED, received_at=received, round=1,
        priority=complaint_priority(customer.grade, policy.tier_assessment),
    )
    session.add(complaint)
    session.flush()
    events.record(session, PROCESS, number, "received", "kefu", channel=data.channel,
                  customer=customer.name, important=data.important, priority=complaint.priority,
                  **({"staff": data.staff} if data.staff else {}),
                  **({"triggers": list(data.triggers)} if data.triggers else {}),
                  **({"taken_by": data.taken_by} if data.taken_by else {}))
    start_case_clocks(session, policy, complaint)
    return complaint


def staff_named(session: Session, number: str) -> str | None:
    """The staff member the customer named when the complaint was filed (§3.3), if any."""
    return filed_detail(session, number).get("staff")


def filed_detail(session: Session, number: str) -> dict:
    """What the complaint's filing recorded (staff named, flags, who took the call)."""
    received = session.scalar(select(CaseEvent).where(
        CaseEvent.case_number == number, CaseEvent.kind == "received").order_by(CaseEvent.id))
    return dict(received.detail or {}) if received is not None else {}


def _customer(session: Session, data: ComplaintInput, at: datetime) -> Customer:
    customer = session.scalar(
        select(Customer).where(Customer.name == data.customer, Customer.phone == data.phone)
    )
    if customer is None:
        customer = Customer(name=data.customer, phone=data.phone, created_at=at)
        session.add(customer)
    customer.address = data.address or customer.address
    customer.email = data.email or customer.email
    return customer


def next_number(session: Session, policy: Policy, year: int) -> str:
    """``TS-2026-000123``: the prefix, the year received, a sequence within the year."""
    prefix = f"{policy.complaint.number_prefix}-{year}-"
    last = session.scalar(select(func.max(Complaint.number)).where(Complaint.number.like(prefix + "%")))
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def start_case_clocks(session: Session, policy: Policy, complaint: Complaint) -> None:
    """Register and reply within 24 h, handling within 3 working days (§2, §3), all from the
    moment the complaint was received; 营销办管理部 owns them until the case is routed."""
    deadlines = policy.complaint.deadlines
    calendar = calendar_for(policy.calendar)
    registrar = resolve_assignee(policy.complaint.triage_assignee, policy)
    received = complaint.received_at
    handling = deadlines.handling
    if complaint.priority:  # 000 D7 §6.2 H: an A customer's complaint is handled first
        handling = policy.tier_assessment.complaint_priority.handling
    for name, span in (("register", deadlines.registration), ("reply", deadlines.reply),
                       ("handling", handling)):
        start_clock(session, policy, process=PROCESS, case_number=complaint.number, name=name,
                    owner=registrar, due_at=calendar.add(received, span))
