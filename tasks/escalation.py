"""The escalation sweep: find clocks that ran out, notify the highest rung due, once each.

Overdue never fails anything: the case keeps waiting, and more people are told.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, Clock, Escalation
from models.db import session_scope
from policy.base import LadderLevel
from policy.schema import Policy
from runtime import faults
from tasks import events
from tasks.approvals import lock_step, open_due_tasks, reassign
from tasks.clocks import ladder_for
from tasks.deadlines import calendar_for, now
from tasks.ladder import RungTargets, catch_up, next_escalation_at, rungs_reached
from tasks.links import inbox_url
from tasks.notify import notify_person

BATCH = 500


def overdue_clocks(session: Session, moment: datetime, limit: int = BATCH,
                   skip: frozenset[int] = frozenset()) -> list[int]:
    """Ids of clocks whose next rung is due: one range scan on ix_clocks_next_escalation_at,
    so the cost grows with the overdue clocks, not with the open ones."""
    query = select(Clock.id).where(Clock.next_escalation_at <= moment)
    if skip:
        query = query.where(Clock.id.not_in(skip))
    return list(session.scalars(query.order_by(Clock.next_escalation_at).limit(limit)))


def sweep(policy: Policy, moment: datetime | None = None) -> list[dict]:
    """Open the scheduled approvals whose time has come (they are asked, and mailed, then),
    then escalate every overdue clock by the highest rung it has reached, in batches until
    none is left. Each clock in its own transaction; a rung already recorded (unique
    clock+level), sent or skipped, is never sent again."""
    moment = moment or now()
    open_due_tasks(policy, moment)
    done: list[dict] = []
    failed: set[int] = set()  # not retried within this sweep
    while True:
        with session_scope() as session:
            ids = overdue_clocks(session, moment, skip=frozenset(failed))
        if not ids:
            return done
        for clock_id in ids:
            try:
                with session_scope() as session:
                    done += escalate_clock(session, policy, clock_id, moment)
            except IntegrityError:
                failed.add(clock_id)  # a concurrent sweep recorded this rung first
            faults.at("sweep", "escalated")


def escalate_clock(session: Session, policy: Policy, clock_id: int, moment: datetime) -> list[dict]:
    """Send the highest rung of the clock that is due and reaches somebody above its owner;
    every other rung a late sweep finds due is recorded as skipped (tasks/ladder.catch_up)."""
    # Lock the approval step before the clock, in the order a decision locks them.
    waiting = session.scalar(select(ApprovalTask).where(
        ApprovalTask.clock_id == clock_id, ApprovalTask.status == ApprovalStatus.PENDING))
    if waiting is not None:
        lock_step(session, waiting)
    clock = session.get(Clock, clock_id, with_for_update=True, populate_existing=True)
    if clock is None or clock.met_at is not None or clock.next_escalation_at is None:
        return []
    ladder = ladder_for(policy, clock.process, clock.name)
    calendar = calendar_for(policy.calendar)
    task = session.scalar(select(ApprovalTask).where(
        ApprovalTask.clock_id == clock.id, ApprovalTask.status == ApprovalStatus.PENDING))
    reached = rungs_reached(clock.due_at, clock.escalation_level, moment, ladder, calendar)
    plan = catch_up(reached, clock.owner_key, policy)
    for level, reason in plan.skipped:
        _record_skipped(session, clock, level, moment, reason)
    done = []
    if plan.rung is not None:
        done = _send_rung(session, policy, clock, task, plan.rung, plan.targets, moment,
                          skipped=[level for level, _ in plan.skipped])
    if reached:
        clock.escalation_level = reached[-1].level
    clock.next_escalation_at = next_escalation_at(clock.due_at, clock.escalation_level, ladder,
                                                  calendar)
    return done


def _send_rung(session: Session, policy: Policy, clock: Clock, task: ApprovalTask | None,
               rung: LadderLevel, targets: RungTargets, moment: datetime,
               skipped: list[int]) -> list[dict]:
    session.add(Escalation(clock_id=clock.id, case_number=clock.case_number,
                           level=rung.level, notified=targets.notify, at=moment))
    session.flush()
    context = {"case_number": clock.case_number, "clock_name": clock.name,
               "process": clock.process, "due_at": clock.due_at, "level": rung.level,
               "owner": policy.organisation.person(clock.owner_key), "task": task,
               "inbox_url": inbox_url(policy),
               "case_url": case_url(session, policy, clock.case_number, task)}
    for person in targets.notify:
        notify_person(
            session, policy, key=f"{clock.case_number}:escalation:{clock.id}:{rung.level}",
            process=clock.process, case_number=clock.case_number, event=rung.event,
            person_key=person, context=context)
    extra = {"skipped_levels": skipped, "passed_over": targets.passed_over}
    events.record(session, clock.process, clock.case_number, "escalated", "sweep",
                  clock=clock.name, round=clock.round, level=rung.level, notified=targets.notify,
                  due_at=clock.due_at, **{k: v for k, v in extra.items() if v})
    if rung.reassign and task is not None:
        handover = next((p for p in targets.notify if p != task.assignee_key), None)
        if handover:
            reassign(session, policy, task.id, to=handover, by="sweep",
                     reason=f"escalation level {rung.level}", via="sweep")
    return [{"case": clock.case_number, "clock": clock.name, "level": rung.level,
             "notified": targets.notify, **extra}]


def _record_skipped(session: Session, clock: Clock, level: int, moment: datetime,
                    reason: str) -> None:
    """A rung recorded as reached with nobody told, so that no later sweep sends it (the
    (clock, level) row is unique); the case history says why."""
    session.add(Escalation(clock_id=clock.id, case_number=clock.case_number, level=level,
                           notified=[], at=moment))
    session.flush()
    events.record(session, clock.process, clock.case_number, "escalation_skipped", "sweep",
                  clock=clock.name, round=clock.round, level=level, reason=reason,
                  due_at=clock.due_at)


def case_url(session: Session, policy: Policy, case_number: str,
             task: ApprovalTask | None) -> str:
    """Where the case is in the approvers' inbox: the overdue decision's page, else the
    case's latest task (its page shows the case card), else the inbox itself."""
    task_id = task.id if task is not None else session.scalar(
        select(ApprovalTask.id).where(ApprovalTask.case_number == case_number)
        .order_by(ApprovalTask.id.desc()).limit(1))
    base = inbox_url(policy)
    return f"{base}/tasks/{task_id}" if task_id is not None else f"{base}/"
