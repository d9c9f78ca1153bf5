"""The steps of 客户回访 (004 D14 第1–2条) on one callback, as plain functions: each is one
transaction and idempotent (a resumed flow re-runs from the top and every step finds its work
done, changes nothing and sends nothing twice).

Where callbacks come from: handled complaints are read here from the shared tables (the
complaint process is never imported, and it knows nothing of callbacks); each is drawn once
and the draw is recorded, chosen or not (``consider_handled``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ApprovalTask, Callback, CallbackStatus, Complaint, ComplaintStatus, Customer
from models.db import session_scope
from policy.callback.schema import CallbackPolicy
from policy.schema import Policy
from tasks import events
from tasks.approvals import ApprovalError, ApprovalRequest, request_approval
from tasks.callback.rules import (
    OUTCOMES,
    PROCESS,
    CallbackError,
    caller_ref,
    considered,
    is_chosen,
    kind_of,
    monthly_figures,
    next_step,
    plain_span,
)
from tasks.case_records import by_number, policy_section
from tasks.deadlines import calendar_for, now
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.text import one_line

STEP = "callback"
OPEN = (CallbackStatus.CALLING,)


def rules_of(policy: Policy) -> CallbackPolicy:
    return policy_section(policy, "callback")


def get(session: Session, number: str) -> Callback:
    return by_number(session, Callback, number, "callback")


def _context(session: Session, callback: Callback, policy: Policy, **extra: object) -> dict:
    customer = session.get(Customer, callback.customer_id) if callback.customer_id else None
    return {"callback": callback, "customer": customer,
            "kind": rules_of(policy).kinds.get(callback.kind), "rules": rules_of(policy),
            **extra}


def case_context(session: Session, policy: Policy, number: str) -> dict:
    """A callback's messages' context for the shared approval mechanism (tasks/case_context.py)."""
    base = {"case_number": number, "complaint": None, "policy": policy}
    callback = session.scalar(select(Callback).where(Callback.number == number))
    return base if callback is None else {**base, **_context(session, callback, policy)}


def check_decision(policy: Policy, task: ApprovalTask, data: dict) -> dict:
    """A callback records the customer's satisfaction; a signed 回访记录表 (001 Doc2) or a
    dissatisfied customer needs a note of what was said (the inbox, the API and the CLI alike)."""
    if task.step != STEP:
        return data
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise ApprovalError(f"--outcome: required for a callback; one of {', '.join(OUTCOMES)}",
                            task)
    return data


# --- the draw ----------------------------------------------------------------------------

def consider_handled(policy: Policy, moment: datetime | None = None) -> list[str]:
    """Draw every handled (archived) complaint not yet considered, once: a row records the
    draw, chosen or not, with its score; a chosen one gets a callback number, a caller and a
    due time (004 D14 §1.3: 三天内, 50%). Returns the new callbacks' numbers."""
    rules = rules_of(policy)
    if "complaint" not in rules.kinds:
        return []
    moment = moment or now()
    with session_scope() as session:
        drawn = select(Callback.source_number).where(Callback.kind == "complaint")
        handled = list(session.execute(
            select(Complaint.number, Complaint.closed_at).where(
                Complaint.status == ComplaintStatus.ARCHIVED,
                Complaint.closed_at >= moment - plain_span(rules.look_back),
                Complaint.number.not_in(drawn)).order_by(Complaint.closed_at)))
    numbers: list[str] = []
    for source, closed_at in handled:
        if not considered(rules, closed_at, moment):
            continue
        for _ in range(5):
            try:
                with session_scope() as session:
                    made = _draw_complaint(session, policy, source, moment)
                break
            except IntegrityError:
                made = None  # another sweep drew it, or took the number: look again
                with session_scope() as session:
                    if session.scalar(select(Callback.id).where(
                            Callback.kind == "complaint", Callback.source_number == source)):
                        break
        if made:
            numbers.append(made)
    return numbers


def _draw_complaint(session: Session, policy: Policy, source: str, moment: datetime) -> str | None:
    rules = rules_of(policy)
    complaint = session.scalar(select(Complaint).where(Complaint.number == source))
    spec = kind_of(rules, "complaint")
    chosen, score = is_chosen(rules, "complaint", source, important=complaint.important)
    callback = Callback(
        uid=str(uuid.uuid4()), policy_name=policy.name, kind="complaint", source_number=source,
        customer_id=complaint.customer_id, department_key=complaint.department_key,
        important=complaint.important, handled_at=complaint.closed_at, sample_score=score,
        sample_share=spec.share, chosen=chosen, drawn_at=moment,
        status=CallbackStatus.CALLING if chosen else CallbackStatus.NOT_SAMPLED)
    session.add(callback)
    if not chosen:
        session.flush()
        return None
    callback.number = _next_number(session, policy, rules, moment)
    ref = caller_ref(spec, important=complaint.important)
    callback.caller_key = _resolve(policy, ref, callback.department_key)
    callback.due_at = calendar_for(policy.calendar).add(complaint.closed_at, spec.window)
    session.flush()
    events.record(session, PROCESS, callback.number, "drawn", "kefu", case_kind="complaint",
                  source=source, score=round(score, 6), share=spec.share,
                  caller=callback.caller_key, due_at=callback.due_at)
    return callback.number


def _resolve(policy: Policy, ref: str, department: str | None) -> str:
    if ref == "head":
        head = policy.organisation.department(department).head if department else None
        if head:
            return head
        ref = rules_of(policy).kinds["complaint"].callers.general
    return resolve_assignee(ref, policy)


def _next_number(session: Session, policy: Policy, rules: CallbackPolicy, moment: datetime) -> str:
    year = moment.astimezone(calendar_for(policy.calendar).tz).year
    prefix = f"{rules.number_prefix}-{year}-"
    last = session.scalar(select(func.max(Callback.number)).where(Callback.number.like(prefix + "%")))
    return f"{prefix}{(int(last.removeprefix(prefix)) + 1 if last else 1):06d}"


# --- the callback ------------------------------------------------------------------------

def request_callback(policy: Policy, number: str, round: int, flow_run_id: str | None = None) -> int:
    """Ask the caller to phone (or visit) the customer and record their satisfaction on the
    回访记录表: round 1 within the kind's window of the case being handled, a later round
    within ``again_within`` of the previous callback (004 D14 §2.3 确定下次回访时间)."""
    rules = rules_of(policy)
    with session_scope() as session:
        callback = get(session, number)
        spec = kind_of(rules, callback.kind)
        due = callback.due_at if round == 1 else calendar_for(policy.calendar).add(
            callback.called_at or now(), rules.again_within)
        label = (f"{spec.label}：{callback.source_number}"
                 + (f"（第{round}次回访）" if round > 1 else "")
                 + (f"，须客户签名的{rules.record_form}" if rules.signed_record else ""))
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=STEP, label=label,
            assignee=callback.caller_key, due_at=due, round=round, decisions=("approve",),
            choices={"outcome": list(OUTCOMES)}, context=_context(session, callback, policy),
            event="callback_requested"), flow_run_id)
        if round > callback.round:
            callback.round = round
            callback.due_at = task.due_at
        return task.id


def apply_result(policy: Policy, number: str, task_id: int) -> str:
    """Record the customer's satisfaction from the decided callback task: ``closed`` or
    ``again`` (rules.next_step). A dissatisfied customer's case is told to the department head
    (and whoever the policy names) to put right (004 D14 §2.3 安排人员整改)."""
    rules = rules_of(policy)
    with session_scope() as session:
        callback = get(session, number)
        task = session.get(ApprovalTask, task_id)
        outcome = (task.decision_data or {}).get("outcome")
        step = next_step(rules, outcome, task.round)
        if callback.called_at is not None and callback.round > task.round:
            return step  # a re-run: this round was applied already
        if callback.status == CallbackStatus.CALLING and (
                callback.called_at is None or callback.called_at < task.decided_at):
            callback.called_at = task.decided_at
            callback.satisfied = outcome == "satisfied"
            callback.note = task.comment
            events.record(session, PROCESS, number, "called_back", task.decided_by,
                          round=task.round, outcome=outcome, note=task.comment)
            if outcome == "dissatisfied":
                _tell_dissatisfied(session, policy, callback, task)
        return step


def _tell_dissatisfied(session: Session, policy: Policy, callback: Callback,
                       task: ApprovalTask) -> None:
    for ref in rules_of(policy).dissatisfied_notify:
        person = (policy.organisation.department(callback.department_key).head
                  if ref == "head" and callback.department_key else
                  None if ref == "head" else resolve_assignee(ref, policy))
        if person is None:
            continue
        notify_person(session, policy, key=f"{callback.number}:dissatisfied:{task.id}",
                      process=PROCESS, case_number=callback.number, event="callback_dissatisfied",
                      person_key=person, context=_context(session, callback, policy, task=task))


def close_callback(number: str) -> str:
    """The callback ends satisfied, or dissatisfied after its last round."""
    with session_scope() as session:
        callback = get(session, number)
        if callback.status == CallbackStatus.CALLING:
            callback.status = (CallbackStatus.SATISFIED if callback.satisfied
                               else CallbackStatus.DISSATISFIED)
            callback.closed_at = now()
            events.record(session, PROCESS, number, "closed", "kefu", status=callback.status)
        return callback.status


# --- what people read ----------------------------------------------------------------------

def view(session: Session, callback: Callback) -> dict:
    from tasks import case_records

    customer = session.get(Customer, callback.customer_id) if callback.customer_id else None
    iso = case_records.iso
    return {
        "number": callback.number, "kind": callback.kind, "source": callback.source_number,
        "status": callback.status, "chosen": callback.chosen,
        "sample_score": callback.sample_score, "sample_share": callback.sample_share,
        "customer": None if customer is None else {"name": customer.name, "phone": customer.phone},
        "department": callback.department_key, "important": callback.important,
        "caller": callback.caller_key, "due_at": iso(callback.due_at), "round": callback.round,
        "satisfied": callback.satisfied, "note": callback.note,
        "handled_at": iso(callback.handled_at), "called_at": iso(callback.called_at),
        "closed_at": iso(callback.closed_at), "flow_run_id": callback.flow_run_id,
        **({} if callback.number is None else {
            "approvals": case_records.approvals(session, callback.number),
            "clocks": [{"name": c.name, "round": c.round, "due_at": iso(c.due_at),
                        "met_at": iso(c.met_at), "escalation_level": c.escalation_level}
                       for c in case_records.rows(session, _clock_model(), callback.number)],
            "events": case_records.story(session, callback.number),
            "messages": case_records.messages(session, callback.number)}),
    }


def _clock_model():
    from models import Clock

    return Clock


def show(number: str) -> dict:
    with session_scope() as session:
        return view(session, get(session, number))


def listing(status: str | None = None, kind: str | None = None,
            drawn: bool = False) -> list[dict]:
    """The callbacks (``drawn``: every draw, the cases not chosen too), newest first."""
    with session_scope() as session:
        query = select(Callback).order_by(Callback.id.desc())
        if not drawn:
            query = query.where(Callback.chosen.is_(True))
        if status:
            query = query.where(Callback.status == status)
        if kind:
            query = query.where(Callback.kind == kind)
        return [{k: v for k, v in view(session, c).items()
                 if k not in ("approvals", "clocks", "events", "messages")}
                for c in session.scalars(query)]


def record(policy: Policy, number: str, *, actor: str | None, outcome: str,
           note: str | None) -> ApprovalTask:
    """``kefu callback record``: the caller records the callback's result (the same decision
    as the inbox's, through the one approval mechanism)."""
    from tasks.approvals import decide

    if outcome not in OUTCOMES:
        raise CallbackError("outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    note = one_line(note or "") or None
    if rules_of(policy).signed_record and not note:
        raise CallbackError("note", f"the {rules_of(policy).record_form} must say who signed it")
    with session_scope() as session:
        callback = get(session, number)
        task = session.scalar(select(ApprovalTask).where(
            ApprovalTask.case_number == number, ApprovalTask.step == STEP,
            ApprovalTask.status == "pending").order_by(ApprovalTask.round.desc()))
        if task is None:
            raise CallbackError("outcome", f"{number} has no callback waiting (status "
                                           f"{callback.status})")
        actor = actor or task.assignee_key
        return decide(session, policy, task.id, actor=actor, decision="approve", comment=note,
                      data={"outcome": outcome})


def monthly_report(policy: Policy, year: int, month: int) -> dict:
    """The month's 客户回访记录 (004 D14 §2.4): per kind, the cases handled that month, those
    drawn, called back (and in time) and satisfied; the callback and satisfaction rates
    against the policy's targets."""
    zone = calendar_for(policy.calendar).tz
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    rules = rules_of(policy)
    with session_scope() as session:
        rows = [{"kind": c.kind, "chosen": c.chosen, "called": c.called_at is not None,
                 "on_time": c.called_at is not None and c.due_at is not None
                 and _first_call_on_time(session, c),
                 "satisfied": c.status == CallbackStatus.SATISFIED}
                for c in session.scalars(select(Callback).where(
                    Callback.handled_at >= start, Callback.handled_at < end))]
    figures = monthly_figures(rows)
    return {"month": f"{year}-{month:02d}", **figures,
            "target_callback_rate": rules.target_callback_rate,
            "target_satisfaction": rules.target_satisfaction}


def _first_call_on_time(session: Session, callback: Callback) -> bool:
    first = session.scalar(select(ApprovalTask).where(
        ApprovalTask.case_number == callback.number, ApprovalTask.step == STEP,
        ApprovalTask.round == 1))
    return first is not None and first.decided_at is not None and first.decided_at <= first.due_at
