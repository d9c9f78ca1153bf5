"""The one approval mechanism: ask a person for a decision, record it, wake the waiting flow.

Every process uses these functions. A task is asked once per (case, step, round); its due
time is a clock the escalation sweep watches; the decision is written to our database first
(the source of truth) and only then is the waiting Prefect flow run resumed, so a decision
taken while Prefect or the worker is down is applied when they come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, Clock
from policy.schema import Policy
from tasks import events
from tasks.clocks import meet_clock, start_clock
from tasks.deadlines import now
from tasks.notify import notify_person

DECISIONS = ("approve", "reject", "send_back")


class ApprovalError(ValueError):
    """A decision that cannot be recorded; the message says why. Nothing was written."""


@dataclass(frozen=True)
class ApprovalRequest:
    """What a flow asks of a person."""

    process: str
    case_number: str
    step: str
    label: str
    assignee: str
    due_at: datetime
    round: int = 1
    decisions: tuple[str, ...] = DECISIONS
    # Fields a decision must carry with "approve", and their allowed values.
    choices: dict[str, list[str]] = field(default_factory=dict)
    # Use an existing case clock (e.g. "handling") instead of a clock of the task's own.
    clock_name: str | None = None
    context: dict = field(default_factory=dict)
    # The template of the request message (notifications/templates/<event>.<locale>.j2).
    event: str = "approval_requested"


def request_approval(
    session: Session, policy: Policy, request: ApprovalRequest, flow_run_id: str | None = None
) -> ApprovalTask:
    """Create the task (once), start its clock and notify the assignee (once)."""
    task = find_task(session, request.case_number, request.step, request.round)
    if task is not None:
        if flow_run_id and task.flow_run_id != flow_run_id:
            task.flow_run_id = flow_run_id
        return task
    clock = start_clock(
        session, policy, process=request.process, case_number=request.case_number,
        name=request.clock_name or f"approval:{request.step}", owner=request.assignee,
        due_at=request.due_at, round=request.round,
    )
    clock.owner_key = request.assignee
    task = ApprovalTask(
        process=request.process, case_number=request.case_number, step=request.step,
        round=request.round, label=request.label, assignee_key=request.assignee,
        allowed_decisions=list(request.decisions), choices=request.choices,
        due_at=clock.due_at, status=ApprovalStatus.PENDING, created_at=now(), clock=clock,
        flow_run_id=flow_run_id, decision_data={},
    )
    session.add(task)
    session.flush()
    events.record(session, request.process, request.case_number, "approval_requested",
                  "kefu", task_id=task.id, step=request.step, round=request.round,
                  assignee=request.assignee, due_at=task.due_at)
    notify_person(
        session, policy, key=f"{request.case_number}:approval:{task.id}:requested",
        process=request.process, case_number=request.case_number, event=request.event,
        person_key=request.assignee,
        context={**request.context, "task": task,
                 "link": policy.channels.decision_link.format(task_id=task.id,
                                                              assignee=request.assignee)},
    )
    return task


def find_task(session: Session, case_number: str, step: str, round: int) -> ApprovalTask | None:
    return session.scalar(
        select(ApprovalTask).where(ApprovalTask.case_number == case_number,
                                   ApprovalTask.step == step, ApprovalTask.round == round)
    )


def decide(
    session: Session,
    policy: Policy,
    task_id: int,
    *,
    actor: str,
    decision: str,
    comment: str | None = None,
    data: dict | None = None,
    via: str = "cli",
) -> ApprovalTask:
    """Record a decision after checking it; raises ApprovalError (nothing written) when the
    task is unknown, not the actor's, already decided, or the decision is not allowed."""
    task = session.get(ApprovalTask, task_id)
    if task is None:
        raise ApprovalError(f"approval task {task_id} does not exist")
    try:
        policy.organisation.person(actor)
    except KeyError:
        raise ApprovalError(f"--as: {actor!r} is not a person in the policy") from None
    if task.status != ApprovalStatus.PENDING:
        raise ApprovalError(
            f"approval task {task_id} was already decided ({task.decision}) by {task.decided_by}"
        )
    if actor != task.assignee_key:
        raise ApprovalError(
            f"approval task {task_id} is assigned to {task.assignee_key}; {actor} may not decide it"
        )
    if decision not in task.allowed_decisions:
        raise ApprovalError(
            f"--decision: {decision!r} is not allowed for {task.step}; "
            f"choose from {', '.join(task.allowed_decisions)}"
        )
    data = {k: v for k, v in (data or {}).items() if v is not None}
    if decision == "approve":
        for name, allowed in task.choices.items():
            if data.get(name) not in allowed:
                raise ApprovalError(f"--{name}: required for this step; one of {', '.join(allowed)}")
    moment = now()
    # The status condition makes two racing deciders record exactly one decision.
    won = session.execute(
        update(ApprovalTask)
        .where(ApprovalTask.id == task_id, ApprovalTask.status == ApprovalStatus.PENDING)
        .values(status=ApprovalStatus.DECIDED, decision=decision, decided_by=actor,
                comment=comment, decision_data=data, decided_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise ApprovalError(f"approval task {task_id} was already decided by someone else")
    session.refresh(task)
    meet_clock(session.get(Clock, task.clock_id), moment)
    events.record(session, task.process, task.case_number, "approval_decided", actor,
                  task_id=task.id, step=task.step, round=task.round, decision=decision,
                  comment=comment, via=via, **data)
    return task


def cancel_open_tasks(session: Session, case_number: str, reason: str) -> int:
    """Close pending tasks of a case that no longer need a decision (e.g. after a send-back)."""
    tasks = session.scalars(
        select(ApprovalTask).where(ApprovalTask.case_number == case_number,
                                   ApprovalTask.status == ApprovalStatus.PENDING)
    ).all()
    for task in tasks:
        task.status = ApprovalStatus.CANCELLED
        meet_clock(task.clock, now())
        events.record(session, task.process, case_number, "approval_cancelled", "kefu",
                      task_id=task.id, reason=reason)
    return len(tasks)


def pending_tasks(session: Session, assignee: str | None = None) -> list[ApprovalTask]:
    query = select(ApprovalTask).where(ApprovalTask.status == ApprovalStatus.PENDING)
    if assignee:
        query = query.where(ApprovalTask.assignee_key == assignee)
    return list(session.scalars(query.order_by(ApprovalTask.due_at)))


def task_view(task: ApprovalTask) -> dict:
    """A task as the CLI, the case card and the JSON output show it."""
    return {
        "id": task.id, "case": task.case_number, "step": task.step, "round": task.round,
        "label": task.label, "assignee": task.assignee_key, "status": task.status,
        "due_at": task.due_at.isoformat(), "escalation_level": task.clock.escalation_level,
        "decisions": task.allowed_decisions, "choices": task.choices,
        "decision": task.decision, "decided_by": task.decided_by, "comment": task.comment,
        "decision_data": task.decision_data, "created_at": task.created_at.isoformat(),
        "decided_at": task.decided_at.isoformat() if task.decided_at else None,
    }
