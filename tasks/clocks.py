"""Start, move and stop the clocks on a case; the sweep escalates the ones that run out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, Clock
from policy.base import Escalation
from policy.schema import Policy
from tasks.deadlines import calendar_for, now, years_to_check
from tasks.ladder import next_escalation_at


def ladder_for(policy: Policy, process: str, clock_name: str = "") -> Escalation:
    """The escalation ladder that governs a process's clocks (the sweep is process-blind);
    a process may give some of its clocks (reminders, reviews) a ladder of their own."""
    ladders = {"complaint": policy.complaint.ladder(clock_name)}
    if policy.new_customer is not None:
        ladders["new_customer"] = policy.new_customer.ladder(clock_name)
    if policy.tier_assessment is not None:
        ladders["tier"] = policy.tier_assessment.escalation
    for name, section in (("survey", policy.survey), ("credit", policy.credit)):
        if section is not None:
            ladders[name] = section.escalation
    if policy.visit is not None:
        ladders["visit"] = policy.visit.escalation
    if policy.callback is not None:
        ladders["callback"] = policy.callback.escalation
    if policy.archives is not None:
        ladders["archives"] = policy.archives.escalation
    if process not in ladders:
        raise KeyError(f"no escalation ladder for process {process!r}")
    return ladders[process]


def start_clock(
    session: Session, policy: Policy, *, process: str, case_number: str, name: str,
    owner: str, due_at: datetime, round: int = 1,
) -> Clock:
    """The clock ``name`` of a case for a round; an existing one is returned unchanged."""
    existing = get_clock(session, case_number, name, round)
    if existing is not None:
        return existing
    clock = Clock(
        process=process, case_number=case_number, name=name, round=round, owner_key=owner,
        due_at=due_at, escalation_level=0,
        next_escalation_at=next_escalation_at(due_at, 0, ladder_for(policy, process, name),
                                              calendar_for(policy.calendar)),
    )
    session.add(clock)
    session.flush()
    return clock


def get_clock(session: Session, case_number: str, name: str, round: int = 1) -> Clock | None:
    return session.scalar(
        select(Clock).where(Clock.case_number == case_number, Clock.name == name,
                            Clock.round == round)
    )


def meet_clock(clock: Clock, at: datetime) -> None:
    if clock.met_at is None:
        clock.met_at = at
        clock.next_escalation_at = None


def meet_case_clock(session: Session, case_number: str, name: str, round: int, at: datetime) -> None:
    """Stop a case's clock, if the case has one of that name in that round."""
    clock = get_clock(session, case_number, name, round)
    if clock is not None:
        meet_clock(clock, at)


def move_clock(session: Session, clock: Clock, policy: Policy, due_at: datetime) -> None:
    """A new due time (a special case granted 7 working days); the ladder restarts from it,
    and the pending approval tasks running on this clock are due then too."""
    clock.due_at = due_at
    for task in session.scalars(select(ApprovalTask).where(
            ApprovalTask.clock_id == clock.id,
            ApprovalTask.status.in_((ApprovalStatus.PENDING, ApprovalStatus.SCHEDULED)))):
        task.due_at = due_at
    if clock.met_at is None:
        calendar = calendar_for(policy.calendar)
        clock.next_escalation_at = next_escalation_at(
            due_at, clock.escalation_level, ladder_for(policy, clock.process, clock.name), calendar
        )


def calendar_years_ahead(session: Session, policy: Policy) -> range:
    """This year to a year after the furthest open deadline: the years whose holidays decide
    a deadline or one set soon (``kefu calendar check``, ``kefu init``, the inbox header)."""
    zone = calendar_for(policy.calendar).tz
    furthest = furthest_open_deadline(session)
    return years_to_check(now().astimezone(zone).date(),
                          furthest.astimezone(zone).date() if furthest else None)


def furthest_open_deadline(session: Session) -> datetime | None:
    """The latest time an open clock is due or next escalates: how far ahead the calendar
    must know its holidays."""
    due, rung = session.execute(
        select(func.max(Clock.due_at), func.max(Clock.next_escalation_at))
        .where(Clock.met_at.is_(None))).one()
    return max((t for t in (due, rung) if t is not None), default=None)
