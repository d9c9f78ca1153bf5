"""The one approval mechanism: ask a person for a decision, record it, wake the waiting flow.

Every process uses these functions. A task is asked once per (case, step, round); its due
time is a clock the escalation sweep watches; the decision is written to our database first
(the source of truth) and only then is the waiting Prefect flow run resumed, so a decision
taken while Prefect or the worker is down is applied when they come back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, CaseEvent, Clock, Delegation
from models.db import session_scope
from policy.schema import Policy
from tasks import audit, events
from tasks.clocks import meet_clock, start_clock
from tasks.deadlines import calendar_for, now
from tasks.links import inbox_url, issue_form_code, issue_link
from tasks.notify import notify_person
from tasks.text import clean, one_line

DECISIONS = ("approve", "reject", "send_back")
# Every path (inbox, link, API, CLI, Prefect form) gets these limits: they are checked here.
COMMENT_LIMIT = 2000
FIELD_LIMIT = 64
SHORT_FIELDS = ("category", "person", "outcome")  # keys and choices: one word each
DATA_LIMIT = 64_000
MODES = ("single", "sequential", "countersign", "orsign")


class ApprovalError(ValueError):
    """A decision that cannot be recorded; the message says why. Nothing was written."""

    def __init__(self, message: str, task: ApprovalTask | None = None) -> None:
        super().__init__(message)
        self.task_id = task.id if task is not None else None
        self.case_number = task.case_number if task is not None else None


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
    # 依次 / 会签 / 或签 with further signers (person keys), and 抄送 (person keys).
    mode: str = "single"
    signers: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # The template of the first request (each process words its own); later requests of the
    # step (the next signer, a delegate) use the generic approval_requested.
    event: str = "approval_requested"
    # Ask ahead of time: the task is stored now (the flow can wait on it) but opens — is
    # pending, listed and mailed — only at this moment, when the sweep finds it passed.
    opens_at: datetime | None = None


def request_approval(
    session: Session, policy: Policy, request: ApprovalRequest, flow_run_id: str | None = None
) -> ApprovalTask:
    """Create the step's task(s) (once), start their clocks and notify the signers whose turn
    it is (once); CC people are informed. Returns the step's lead task (slot 0), the one the
    flow waits on. A request that opens later is stored as scheduled and nobody is told yet
    (``open_scheduled`` asks them when it opens)."""
    task = find_task(session, request.case_number, request.step, request.round)
    if task is not None:
        if flow_run_id and task.flow_run_id != flow_run_id:
            task.flow_run_id = flow_run_id
        return task
    if request.mode not in MODES:
        raise ApprovalError(f"mode: {request.mode!r} is not one of {', '.join(MODES)}")
    if request.opens_at is not None and request.opens_at > request.due_at:
        raise ApprovalError("opens_at: a request cannot open after it is due")
    if request.opens_at is not None and request.cc:
        # The CC list is not stored with the tasks, so it could not be told when the step opens.
        raise ApprovalError("cc: a request that opens later cannot have CC (抄送) people")
    people = [request.assignee] + [p for p in request.signers if p != request.assignee]
    lead = None
    for slot, person in enumerate(people):
        created = _new_task(session, policy, request, person, slot=slot,
                            seq=float(slot) if request.mode == "sequential" else 0.0,
                            flow_run_id=flow_run_id)
        lead = lead or created
    if lead.status == ApprovalStatus.SCHEDULED:
        return lead
    for person in dict.fromkeys(request.cc):
        notify_person(
            session, policy, key=f"{request.case_number}:approval:{lead.id}:cc",
            process=request.process, case_number=request.case_number, event="approval_cc",
            person_key=person, context={**request.context, "task": lead})
    _notify_active(session, policy, lead, request.context, request.event)
    return lead


def _new_task(session: Session, policy: Policy, request: ApprovalRequest, person: str, *,
              slot: int, seq: float, flow_run_id: str | None) -> ApprovalTask:
    name = request.clock_name if slot == 0 and request.clock_name else f"approval:{request.step}"
    if slot:
        name = f"{name}:{slot}"
    clock = start_clock(
        session, policy, process=request.process, case_number=request.case_number,
        name=name, owner=person, due_at=request.due_at, round=request.round,
    )
    clock.owner_key = person
    scheduled = request.opens_at is not None and request.opens_at > now()
    task = ApprovalTask(
        process=request.process, case_number=request.case_number, step=request.step,
        round=request.round, label=request.label, assignee_key=person,
        allowed_decisions=list(request.decisions), choices=request.choices,
        due_at=clock.due_at, created_at=now(), clock=clock,
        status=ApprovalStatus.SCHEDULED if scheduled else ApprovalStatus.PENDING,
        opens_at=request.opens_at if scheduled else None,
        request_event=request.event if scheduled else None,
        flow_run_id=flow_run_id, decision_data={}, slot=slot, seq=seq, mode=request.mode,
    )
    session.add(task)
    session.flush()
    events.record(session, request.process, request.case_number,
                  "approval_scheduled" if scheduled else "approval_requested",
                  "kefu", task_id=task.id, step=request.step, round=request.round,
                  assignee=person, due_at=task.due_at, mode=request.mode, slot=slot,
                  **({"opens_at": task.opens_at} if scheduled else {}))
    return task


def scheduled_due(session: Session, moment: datetime, limit: int = 500) -> list[int]:
    """Ids of scheduled lead tasks whose time has come: one range scan on
    ix_approval_tasks_status_opens_at, however many wait further ahead."""
    return list(session.scalars(
        select(ApprovalTask.id).where(ApprovalTask.status == ApprovalStatus.SCHEDULED,
                                      ApprovalTask.opens_at <= moment, ApprovalTask.slot == 0)
        .order_by(ApprovalTask.opens_at, ApprovalTask.id).limit(limit)))


def open_scheduled(session: Session, policy: Policy, task_id: int,
                   moment: datetime | None = None) -> bool:
    """Open a scheduled step whose time has come: its tasks become pending and the signers
    whose turn it is are asked (with the message the process chose), once — a second sweep
    finds it open and does nothing. Returns whether it opened now."""
    lead = session.get(ApprovalTask, task_id)
    if lead is None:
        return False
    lock_step(session, lead)
    session.refresh(lead)
    moment = moment or now()
    if lead.status != ApprovalStatus.SCHEDULED or lead.opens_at > moment:
        return False
    for task in group(session, lead):
        if task.status == ApprovalStatus.SCHEDULED:
            task.status = ApprovalStatus.PENDING
            events.record(session, task.process, task.case_number, "approval_opened", "sweep",
                          task_id=task.id, step=task.step, round=task.round,
                          assignee=task.assignee_key, due_at=task.due_at)
    from tasks.case_context import case_context
    _notify_active(session, policy, lead, case_context(session, policy, lead.process,
                                                       lead.case_number),
                   lead.request_event or "approval_requested")
    return True


def move_opening(session: Session, clock: Clock, opens_at: datetime) -> None:
    """The scheduled tasks on ``clock`` open at ``opens_at`` instead (the review moved)."""
    for task in session.scalars(select(ApprovalTask).where(
            ApprovalTask.clock_id == clock.id, ApprovalTask.status == ApprovalStatus.SCHEDULED)):
        task.opens_at = opens_at


def open_due_tasks(policy: Policy, moment: datetime | None = None) -> list[dict]:
    """The sweep's part: open every scheduled step whose time has come, each in its own
    transaction."""
    moment = moment or now()
    opened: list[dict] = []
    with session_scope() as session:
        ids = scheduled_due(session, moment)
    for task_id in ids:
        with session_scope() as session:
            if open_scheduled(session, policy, task_id, moment):
                task = session.get(ApprovalTask, task_id)
                opened.append({"case": task.case_number, "task": task.id, "step": task.step,
                               "assignee": task.assignee_key})
    return opened


def _notify_active(session: Session, policy: Policy, lead: ApprovalTask,
                   context: dict | None = None, event: str = "approval_requested") -> None:
    """Ask every signer whose turn it is (once each: the outbox key is per task)."""
    if context is None:
        event = "approval_requested"
        from tasks.case_context import case_context
        context = case_context(session, policy, lead.process, lead.case_number)
    for task in group(session, lead):
        if task.status == ApprovalStatus.PENDING and is_active(session, task):
            request_message(session, policy, task, context, event=event)


def request_message(session: Session, policy: Policy, task: ApprovalTask, context: dict,
                    suffix: str = "", event: str = "approval_requested") -> None:
    """The approval_requested message to the task's assignee, with a fresh signed link and a
    fresh one-time code for the Prefect UI form — made only when the message is new: a re-run
    of the step finds it queued and issues nothing."""
    notify_person(
        session, policy, key=f"{task.case_number}:approval:{task.id}:requested{suffix}",
        process=task.process, case_number=task.case_number, event=event,
        person_key=task.assignee_key, context={**context, "task": task},
        new_only=lambda: {
            "link": issue_link(session, policy, task.id, task.assignee_key),
            "form_code": issue_form_code(session, policy, task.id, task.assignee_key)},
    )


def find_task(session: Session, case_number: str, step: str, round: int) -> ApprovalTask | None:
    """The step's lead task (slot 0)."""
    return session.scalar(
        select(ApprovalTask).where(ApprovalTask.case_number == case_number,
                                   ApprovalTask.step == step, ApprovalTask.round == round,
                                   ApprovalTask.slot == 0)
    )


def group(session: Session, task: ApprovalTask) -> list[ApprovalTask]:
    """Every signer's task of the step ``task`` belongs to, lead first."""
    return list(session.scalars(
        select(ApprovalTask).where(ApprovalTask.case_number == task.case_number,
                                   ApprovalTask.step == task.step,
                                   ApprovalTask.round == task.round)
        .order_by(ApprovalTask.seq, ApprovalTask.slot)).unique())


def lead_of(session: Session, task: ApprovalTask) -> ApprovalTask:
    return task if task.slot == 0 else find_task(session, task.case_number, task.step, task.round)


def is_active(session: Session, task: ApprovalTask) -> bool:
    """A pending task may be decided now: no pending signer of its step must sign first
    (依次 / 加签 before me)."""
    if task.status != ApprovalStatus.PENDING:
        return False
    if task.mode == "single" and task.slot == 0 and task.seq == 0:
        return True
    return not any(t.status == ApprovalStatus.PENDING and t.seq < task.seq
                   for t in group(session, task))


def outcome(session: Session, task_id: int) -> ApprovalTask | None:
    """The task that carries the step's decision, or None while the step is undecided.

    single: the task itself. orsign (或签): the first decision. sequential / countersign
    (依次 / 会签): the first non-approval, or, once everyone approved, the last approval.
    """
    task = session.get(ApprovalTask, task_id)
    if task is None:
        return None
    if task.mode == "single" and task.slot == 0:
        others = [t for t in group(session, task) if t.id != task.id]
        if not others:
            return task if task.status == ApprovalStatus.DECIDED else None
    tasks = group(session, task)
    decided = sorted((t for t in tasks if t.status == ApprovalStatus.DECIDED),
                     key=lambda t: (t.decided_at, t.id))
    if not decided:
        return None
    if task.mode == "orsign":
        return decided[0]
    refused = [t for t in decided if t.decision != "approve"]
    if refused:
        return refused[0]
    if any(t.status == ApprovalStatus.PENDING for t in tasks):
        return None
    return decided[-1]


def settled(session: Session, task_id: int) -> bool:
    return outcome(session, task_id) is not None


def may_act_for(session: Session, actor: str, assignee: str) -> bool:
    """The assignee, or a delegate the assignee named (转交, standing) whose delegation is on."""
    if actor == assignee:
        return True
    moment = now()
    return session.scalar(select(Delegation.id).where(
        Delegation.principal_key == assignee, Delegation.delegate_key == actor,
        Delegation.revoked_at.is_(None), Delegation.starts_at <= moment,
        or_(Delegation.ends_at.is_(None), Delegation.ends_at > moment)).limit(1)) is not None


def principals_of(session: Session, delegate: str) -> list[str]:
    moment = now()
    return list(session.scalars(select(Delegation.principal_key).where(
        Delegation.delegate_key == delegate, Delegation.revoked_at.is_(None),
        Delegation.starts_at <= moment,
        or_(Delegation.ends_at.is_(None), Delegation.ends_at > moment))))


def lock_step(session: Session, task: ApprovalTask) -> None:
    """Serialise everything that changes one step (deciders, reassignment, 加签): the lead row
    is locked (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    session.execute(select(ApprovalTask.id).where(
        ApprovalTask.case_number == task.case_number, ApprovalTask.step == task.step,
        ApprovalTask.round == task.round, ApprovalTask.slot == 0).with_for_update())


def _task(session: Session, task_id: int) -> ApprovalTask:
    task = session.get(ApprovalTask, task_id)
    if task is None:
        raise ApprovalError(f"approval task {task_id} does not exist")
    return task


def _person(policy: Policy, key: str, option: str, task: ApprovalTask) -> None:
    """The person must be in the policy; ``option`` names the field in the error."""
    try:
        policy.organisation.person(key)
    except KeyError:
        raise ApprovalError(f"{option}: {key!r} is not a person in the policy", task) from None


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
    task is unknown, not the actor's (nor delegated to them), not their turn, already decided,
    or the decision is not allowed. Every path (CLI, inbox, Prefect UI form) comes here.

    ``task_id`` may be any signer's task of the step: the actor's own pending task of that
    step is the one decided (the Prefect UI form sits on the step's lead task)."""
    task = _task(session, task_id)
    _person(policy, actor, "--as", task)
    lock_step(session, task)
    session.refresh(task)
    if task.status == ApprovalStatus.SCHEDULED:
        from notifications.render import local_time  # people read times to the minute

        raise ApprovalError(f"approval task {task_id} opens at "
                            f"{local_time(task.opens_at, policy.calendar.timezone)}; it cannot "
                            f"be decided before", task)
    siblings = group(session, task)
    if task.mode != "single" or len(siblings) > 1:
        if outcome(session, task.id) is not None:
            done = outcome(session, task.id)
            raise ApprovalError(f"approval task {task_id} was already decided ({done.decision}) "
                                f"by {done.decided_by}", task)
        mine = [t for t in siblings if t.status == ApprovalStatus.PENDING
                and may_act_for(session, actor, t.assignee_key)]
        if task not in mine and mine:
            task = next((t for t in mine if t.assignee_key == actor), mine[0])
    if task.status != ApprovalStatus.PENDING:
        raise ApprovalError(
            f"approval task {task.id} was already decided ({task.decision}) by {task.decided_by}",
            task)
    if not may_act_for(session, actor, task.assignee_key):
        raise ApprovalError(
            f"approval task {task.id} is assigned to {task.assignee_key}; {actor} may not decide it",
            task)
    if not is_active(session, task):
        first = next(t for t in siblings if t.status == ApprovalStatus.PENDING and t.seq < task.seq)
        raise ApprovalError(f"approval task {task.id}: {first.assignee_key} signs first", task)
    if decision not in task.allowed_decisions:
        raise ApprovalError(
            f"--decision: {decision!r} is not allowed for {task.step}; "
            f"choose from {', '.join(task.allowed_decisions)}", task)
    comment, data = _checked_input(task, comment, data)
    if decision == "approve":
        for name, allowed in task.choices.items():
            if data.get(name) not in allowed:
                raise ApprovalError(f"--{name}: required for this step; one of {', '.join(allowed)}",
                                    task)
    moment = now()
    # The status and assignee conditions make two racing deciders, or a decider racing a
    # reassignment, record exactly one outcome.
    won = session.execute(
        update(ApprovalTask)
        .where(ApprovalTask.id == task.id, ApprovalTask.status == ApprovalStatus.PENDING,
               ApprovalTask.assignee_key == task.assignee_key)
        .values(status=ApprovalStatus.DECIDED, decision=decision, decided_by=actor,
                comment=comment, decision_data=data, decided_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise ApprovalError(f"approval task {task.id} was already decided or reassigned", task)
    session.refresh(task)
    meet_clock(session.get(Clock, task.clock_id), moment)
    on_behalf = task.assignee_key if actor != task.assignee_key else None
    events.record(session, task.process, task.case_number, "approval_decided", actor,
                  task_id=task.id, step=task.step, round=task.round, decision=decision,
                  comment=comment, via=via, on_behalf_of=on_behalf,
                  **({"entered_by": audit.operator()} if audit.operator() else {}), **data)
    audit.record(session, actor=actor, action="decide", via=via, case_number=task.case_number,
                 task_id=task.id, decision=decision, on_behalf_of=on_behalf)
    _after_decision(session, policy, task)
    return task


def _checked_input(task: ApprovalTask, comment: str | None,
                   data: dict | None) -> tuple[str | None, dict]:
    """The comment and decision fields as stored: control and bidi characters removed (a
    U+202E makes a comment read as another word), within the limits; ApprovalError names the
    field otherwise."""
    if comment is not None:
        comment = clean(str(comment)).strip() or None
        if comment and len(comment) > COMMENT_LIMIT:
            raise ApprovalError(f"--comment: at most {COMMENT_LIMIT} characters "
                                f"(this one has {len(comment)})", task)
    checked = {}
    for name, value in (data or {}).items():
        if value is None:
            continue
        if isinstance(value, str):
            value = one_line(value)
            limit = FIELD_LIMIT if name in SHORT_FIELDS else COMMENT_LIMIT
            if len(value) > limit:
                raise ApprovalError(f"--{name}: at most {limit} characters", task)
        elif len(json.dumps(value, ensure_ascii=False, default=str)) > DATA_LIMIT:
            # A structured decision (the tier meeting's overrides): bounded as a whole.
            raise ApprovalError(f"--{name}: at most {DATA_LIMIT} characters of data", task)
        checked[name] = value
    return comment, checked


def _after_decision(session: Session, policy: Policy, task: ApprovalTask) -> None:
    """A settled step cancels its remaining signers; an unsettled one asks whoever is next."""
    siblings = group(session, task)
    if len(siblings) == 1:
        return
    if outcome(session, task.id) is not None:
        for other in siblings:
            if other.status == ApprovalStatus.PENDING:
                other.status = ApprovalStatus.CANCELLED
                meet_clock(other.clock, now())
                events.record(session, other.process, other.case_number, "approval_cancelled",
                              "kefu", task_id=other.id, reason=f"step decided by {task.decided_by}")
        return
    _notify_active(session, policy, lead_of(session, task))


def reassign(session: Session, policy: Policy, task_id: int, *, to: str, by: str,
             reason: str, via: str = "cli") -> ApprovalTask:
    """转交 / escalation reassignment: the pending task goes to ``to``, who is asked with a
    new link. A decision that got there first wins; then this raises ApprovalError."""
    task = _task(session, task_id)
    _person(policy, to, "--to", task)
    lock_step(session, task)
    session.refresh(task)
    if task.status != ApprovalStatus.PENDING:
        raise ApprovalError(f"approval task {task_id} is {task.status}; it cannot be reassigned",
                            task)
    before = task.assignee_key
    if to == before:
        raise ApprovalError(f"--to: {to} already holds approval task {task_id}", task)
    moved = session.execute(
        update(ApprovalTask)
        .where(ApprovalTask.id == task_id, ApprovalTask.status == ApprovalStatus.PENDING,
               ApprovalTask.assignee_key == before)
        .values(assignee_key=to).execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise ApprovalError(f"approval task {task_id} was decided meanwhile", task)
    session.refresh(task)
    task.clock.owner_key = to
    events.record(session, task.process, task.case_number, "approval_reassigned", by,
                  task_id=task.id, step=task.step, assignee=to, previous=before, reason=reason)
    audit.record(session, actor=by, action="reassign", via=via, case_number=task.case_number,
                 task_id=task.id, to=to, previous=before, reason=reason)
    if is_active(session, task):
        from tasks.case_context import case_context
        request_message(session, policy, task,
                        case_context(session, policy, task.process, task.case_number),
                        suffix=f":to:{to}")
    return task


ADMIN = "admin"


def reassign_for_absent(session: Session, policy: Policy, task_id: int, *, actor: str | None,
                        to: str, reason: str, via: str = "cli") -> ApprovalTask:
    """Reassignment when the assignee is away (issue 21 §8), distinct from their own 转交: by
    one of the assignee's superiors (``actor``), or by an admin at the command line
    (``actor=None``, recorded as ``admin`` with the OS user who typed it). The new assignee
    is asked with a new link; the reason is in the history and the audit log."""
    from tasks.people import superior_chain

    task = _task(session, task_id)
    if not reason or not reason.strip():
        raise ApprovalError("--reason: say why the task moves (e.g. 休假至 12-10)", task)
    if actor is not None:
        _person(policy, actor, "--as", task)
        if actor not in superior_chain(task.assignee_key, policy.organisation):
            raise ApprovalError(
                f"--as: {actor} is not a superior of {task.assignee_key}; the assignee hands a "
                "task on with `approvals delegate`, a superior or an admin reassigns it", task)
    return reassign(session, policy, task_id, to=to, by=actor or ADMIN, reason=one_line(reason),
                    via=via)


def delegate_task(session: Session, policy: Policy, task_id: int, *, actor: str, to: str,
                  via: str = "cli") -> ApprovalTask:
    """转交: the assignee (or their delegate) hands the pending task to someone else."""
    task = _task(session, task_id)
    if not may_act_for(session, actor, task.assignee_key):
        raise ApprovalError(
            f"approval task {task_id} is assigned to {task.assignee_key}; {actor} may not hand it on",
            task)
    return reassign(session, policy, task_id, to=to, by=actor, reason="delegated", via=via)


def add_signer(session: Session, policy: Policy, task_id: int, *, actor: str, person: str,
               position: str, via: str = "cli") -> ApprovalTask:
    """加签: ``person`` must also sign this step, before or after the actor."""
    task = _task(session, task_id)
    if position not in ("before", "after"):
        raise ApprovalError(f"--position: {position!r} is not before or after", task)
    _person(policy, person, "--person", task)
    lock_step(session, task)
    session.refresh(task)
    if task.status != ApprovalStatus.PENDING:
        raise ApprovalError(f"approval task {task_id} is {task.status}", task)
    if not may_act_for(session, actor, task.assignee_key):
        raise ApprovalError(
            f"approval task {task_id} is assigned to {task.assignee_key}; {actor} may not add signers",
            task)
    if task.mode == "orsign":
        raise ApprovalError("--position: 加签 is not available on an or-sign (或签) step", task)
    siblings = group(session, task)
    if any(t.assignee_key == person and t.status == ApprovalStatus.PENDING for t in siblings):
        raise ApprovalError(f"--person: {person} already signs this step", task)
    seqs = sorted({t.seq for t in siblings})
    if position == "before":
        lower = [q for q in seqs if q < task.seq]
        seq = (task.seq + (lower[-1] if lower else task.seq - 1)) / 2
    else:
        higher = [q for q in seqs if q > task.seq]
        seq = (task.seq + (higher[0] if higher else task.seq + 1)) / 2
    if task.mode == "single":
        for t in siblings:
            t.mode = "sequential"
    from tasks.case_context import case_context
    context = case_context(session, policy, task.process, task.case_number)
    request = ApprovalRequest(
        process=task.process, case_number=task.case_number, step=task.step, label=task.label,
        assignee=person, due_at=task.due_at, round=task.round,
        decisions=tuple(task.allowed_decisions), choices=task.choices,
        mode=siblings[0].mode if task.mode != "single" else "sequential")
    added = _new_task(session, policy, request, person, slot=max(t.slot for t in siblings) + 1,
                      seq=seq, flow_run_id=task.flow_run_id)
    events.record(session, task.process, task.case_number, "signer_added", actor,
                  task_id=added.id, person=person, position=position, of_task=task.id)
    audit.record(session, actor=actor, action="add_signer", via=via, case_number=task.case_number,
                 task_id=task.id, person=person, position=position)
    _notify_active(session, policy, lead_of(session, task), context)
    return added


def nudge(session: Session, policy: Policy, task_id: int, *, actor: str,
          via: str = "cli") -> ApprovalTask:
    """催办: remind the assignee; at most once per ``approvals.nudge_interval`` per task."""
    task = _task(session, task_id)
    _person(policy, actor, "--as", task)
    lock_step(session, task)
    session.refresh(task)
    if task.status != ApprovalStatus.PENDING:
        raise ApprovalError(f"approval task {task_id} is {task.status}; nothing to nudge", task)
    moment = now()
    last = [e for e in session.scalars(select(CaseEvent).where(
        CaseEvent.case_number == task.case_number, CaseEvent.kind == "nudged"))
        if e.detail.get("task_id") == task.id]
    if last:
        allowed_at = calendar_for(policy.calendar).add(max(e.at for e in last),
                                                       policy.approvals.nudge_interval)
        if moment < allowed_at:
            from notifications.render import local_time  # people read times to the minute

            tz = policy.calendar.timezone
            raise ApprovalError(
                f"approval task {task_id} was nudged at {local_time(max(e.at for e in last), tz)}; "
                f"the next nudge is allowed from {local_time(allowed_at, tz)}", task)
    events.record(session, task.process, task.case_number, "nudged", actor, task_id=task.id,
                  assignee=task.assignee_key)
    audit.record(session, actor=actor, action="nudge", via=via, case_number=task.case_number,
                 task_id=task.id)
    from tasks.case_context import case_context
    notify_person(
        session, policy, key=f"{task.case_number}:approval:{task.id}:nudge:{len(last) + 1}",
        process=task.process, case_number=task.case_number, event="approval_nudge",
        person_key=task.assignee_key,
        context={**case_context(session, policy, task.process, task.case_number), "task": task,
                 "by": policy.organisation.person(actor), "inbox_url": inbox_url(policy)})
    return task


def cancel_open_tasks(session: Session, case_number: str, reason: str) -> int:
    """Close pending (and scheduled, not yet open) tasks of a case that no longer need a
    decision (e.g. after a send-back)."""
    tasks = session.scalars(
        select(ApprovalTask).where(ApprovalTask.case_number == case_number,
                                   ApprovalTask.status.in_((ApprovalStatus.PENDING,
                                                            ApprovalStatus.SCHEDULED)))
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


def inbox_tasks(session: Session, person: str) -> list[ApprovalTask]:
    """What ``person`` may decide now: their own active tasks and those of people who named
    them delegate, soonest due first."""
    whose = [person, *principals_of(session, person)]
    query = select(ApprovalTask).where(ApprovalTask.status == ApprovalStatus.PENDING,
                                       ApprovalTask.assignee_key.in_(whose))
    return [t for t in session.scalars(query.order_by(ApprovalTask.due_at, ApprovalTask.id))
            if is_active(session, t)]


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
        "mode": task.mode, "slot": task.slot,
        "opens_at": task.opens_at.isoformat() if task.opens_at else None,
    }
