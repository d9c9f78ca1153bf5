"""The steps of 酒厂客户投诉管理制度 (000 D2) on one complaint, as plain functions.

Each step is one transaction and is idempotent: a flow run that is resumed re-runs from the
top, and every step finds its work already done and changes nothing, sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from models import (
    ApprovalStatus,
    ApprovalTask,
    ArchiveRecord,
    CaseEvent,
    Complaint,
    ComplaintStatus,
    Customer,
    Notification,
    ScoreEntry,
)
from models.db import session_scope
from policy.base import ApprovalStep
from policy.schema import Policy
from tasks import events
from tasks.approvals import ApprovalRequest, cancel_open_tasks, request_approval
from tasks.approvals import outcome as step_outcome
from tasks.case_records import by_number
from tasks.clocks import get_clock, meet_case_clock, meet_clock, move_clock, start_clock
from tasks.complaint.classify import classify
from tasks.complaint.intake import PROCESS, filed_detail, staff_named
from tasks.complaint.route import route
from tasks.deadlines import calendar_for, now
from tasks.notify import notify_customer, notify_person
from tasks.people import resolve_assignee, superior_chain
from tasks.text import one_line

TRIAGE = "triage"
CUSTOMER_FEEDBACK = "customer_feedback"
# When no channel reaches the customer, the message is a phone call by a person (a task).
REPLY_CALL = "reply_call"
FEEDBACK_CALL = "feedback_call"


def get(session: Session, number: str) -> Complaint:
    return by_number(session, Complaint, number, "complaint")


def message_context(complaint: Complaint, policy: Policy) -> dict:
    category = policy.complaint.category(complaint.category) if complaint.category else None
    department = (policy.organisation.department(complaint.department_key)
                  if complaint.department_key else None)
    handler = (policy.organisation.person(complaint.handler_key)
               if complaint.handler_key else None)
    session = object_session(complaint)
    staff = staff_named(session, complaint.number) if session is not None else None
    return {"complaint": complaint, "category": category, "department": department,
            "handler": handler, "policy": policy, "staff": staff}


# --- 登记 / 分类: register and classify (§2, §3) ---------------------------------------

def classify_complaint(policy: Policy, number: str, flow_run_id: str | None = None) -> str | None:
    """Classify by the policy's keywords. A match registers the complaint; no match sends it
    to 营销办管理部 for classification by hand. Returns the category, or None."""
    with session_scope() as session:
        complaint = get(session, number)
        if flow_run_id and complaint.flow_run_id is None:
            complaint.flow_run_id = flow_run_id
        if complaint.category is not None or complaint.status != ComplaintStatus.RECEIVED:
            return complaint.category
        category = classify(complaint.content, policy.complaint.categories)
        if category is None:
            complaint.status = ComplaintStatus.TRIAGE
            events.record(session, PROCESS, number, "triage_needed", "kefu")
            return None
        _register(session, complaint, category, "kefu")
        return category


def _register(session: Session, complaint: Complaint, category: str, by: str) -> None:
    moment = now()
    complaint.category = category
    complaint.classified_by = by
    complaint.registered_at = complaint.registered_at or moment
    complaint.status = ComplaintStatus.HANDLING
    meet_case_clock(session, complaint.number, "register", 1, moment)
    events.record(session, PROCESS, complaint.number, "classified", by, category=category,
                  round=complaint.round)


def request_triage(policy: Policy, number: str, flow_run_id: str | None) -> int:
    """营销办管理部 picks the category by hand; its clock is the 24 h registration clock."""
    with session_scope() as session:
        complaint = get(session, number)
        registrar = resolve_assignee(policy.complaint.triage_assignee, policy)
        clock = start_clock(
            session, policy, process=PROCESS, case_number=number, name="register",
            owner=registrar, round=complaint.round,
            due_at=calendar_for(policy.calendar).add(now(), policy.complaint.deadlines.registration),
        )
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=TRIAGE, round=complaint.round,
            label="人工分类投诉", assignee=registrar, due_at=clock.due_at,
            decisions=("approve", "reject"), clock_name="register",
            choices={"category": [c.key for c in policy.complaint.categories]},
            context=message_context(complaint, policy),
        ), flow_run_id)
        return task.id


def apply_triage(policy: Policy, number: str, task_id: int) -> str:
    """approve + category → registered and routed; reject → not a complaint we handle: the
    customer is still answered (件件有落实，事事有回复). Returns "classified" or "rejected"."""
    with session_scope() as session:
        complaint = get(session, number)
        task = step_outcome(session, task_id) or session.get(ApprovalTask, task_id)
        if complaint.status != ComplaintStatus.TRIAGE:
            return "rejected" if complaint.upheld is False else "classified"
        if task.decision == "approve":
            _register(session, complaint, task.decision_data["category"], task.decided_by)
            return "classified"
        complaint.upheld = False
        complaint.resolution = task.comment or ""
        complaint.registered_at = complaint.registered_at or now()
        _finish_handling(session, policy, complaint, task.decided_by)
        return "rejected"


# --- 转交责任部门: route to the responsible department (§3.1–3.4) ------------------------

def route_complaint(policy: Policy, number: str) -> dict:
    """Set department, handler and procedure; charge the complaint's point (§7); tell the
    handler's superior when the category says so (§3.1)."""
    with session_scope() as session:
        complaint = get(session, number)
        tz = ZoneInfo(policy.calendar.timezone)
        decided = route(complaint.category, policy, complaint.content, complaint.shipped_on,
                        complaint.received_at.astimezone(tz).date())
        procedure = decided.procedure
        if decided.return_assessment:
            procedure = f"{procedure}\n{decided.return_assessment}"
        already = complaint.department_key == decided.department and complaint.procedure
        handler = decided.handler
        if policy.complaint.first_responsible is not None:  # 000 D12: 谁接待谁负责
            handler = first_responsible(session, number) or handler
        complaint.department_key = decided.department
        complaint.handler_key = handler
        complaint.procedure = procedure
        clock = get_clock(session, number, "handling", complaint.round)
        if clock is not None and clock.met_at is None:
            clock.owner_key = handler
        _charge_point(session, policy, complaint)
        if not already:
            events.record(session, PROCESS, number, "routed", "kefu", category=decided.category,
                          department=decided.department, handler=handler,
                          round=complaint.round, return_assessment=decided.return_assessment)
        if decided.notify_superior:
            for superior in superior_chain(handler, policy.organisation)[:1]:
                notify_person(
                    session, policy, key=f"{number}:routed:{complaint.round}:superior",
                    process=PROCESS, case_number=number, event="superior_informed",
                    person_key=superior, context=message_context(complaint, policy))
        return {"category": decided.category, "department": decided.department,
                "handler": handler, "priority": complaint.priority}


def first_responsible(session: Session, number: str) -> str | None:
    """Who owns the case: who took the call, or whom it was last handed over to in writing."""
    handed = session.scalars(select(CaseEvent).where(
        CaseEvent.case_number == number, CaseEvent.kind == "handed_over")
        .order_by(CaseEvent.id.desc())).first()
    if handed is not None:
        return (handed.detail or {}).get("to")
    return filed_detail(session, number).get("taken_by")



def _charge_point(session: Session, policy: Policy, complaint: Complaint) -> None:
    """000 D2 §7: 投诉一次扣一分 — once per complaint, against the responsible department."""
    exists = session.scalar(select(ScoreEntry.id).where(
        ScoreEntry.case_number == complaint.number, ScoreEntry.reason == "complaint"))
    if exists:
        return
    session.add(ScoreEntry(
        case_number=complaint.number, department_key=complaint.department_key,
        person_key=complaint.handler_key, points=policy.complaint.scoring.points_per_complaint,
        reason="complaint", at=now()))


# --- 答复客户: reply to the customer within 24 h (§2.1, §2.2) ---------------------------

def reply_to_customer(policy: Policy, number: str, flow_run_id: str | None = None) -> int | None:
    """Tell the customer who handles the complaint and by when (§3.1: 三个工作日). Once.

    When no channel reaches the customer (no e-mail, no SMS gateway: the outbox row is
    ``no_channel``), the responsible person phones them: returns that task, which the flow
    waits for; the reply clock is met by the call, not by the unsent message. Otherwise None."""
    with session_scope() as session:
        complaint = get(session, number)
        if complaint.replied_at is not None:
            return None
        promise = _promise(session, policy, complaint)
        notify_customer(session, policy, key=f"{number}:reply", process=PROCESS,
                        case_number=number, event="complaint_reply", customer=complaint.customer,
                        context={**message_context(complaint, policy), "promise": promise})
        if _reached(session, number, "complaint_reply"):
            _replied(session, complaint, now(), "kefu", promise, via="message")
            return None
        caller = complaint.handler_key or resolve_assignee(policy.complaint.triage_assignee, policy)
        return _ask_call(session, policy, complaint, step=REPLY_CALL, clock_name="reply", round=1,
                         label=_call_label("电话回复客户", complaint.customer), assignee=caller,
                         flow_run_id=flow_run_id).id


def _promise(session: Session, policy: Policy, complaint: Complaint) -> datetime | None:
    """When the customer is promised the result: the category's promise, else the handling
    clock."""
    category = policy.complaint.category(complaint.category) if complaint.category else None
    handling = get_clock(session, complaint.number, "handling", complaint.round)
    if category and category.customer_promise:
        return calendar_for(policy.calendar).add(complaint.received_at, category.customer_promise)
    if category and handling:
        return handling.due_at
    return None


def _replied(session: Session, complaint: Complaint, at: datetime, by: str,
             promise: datetime | None, via: str) -> None:
    if complaint.replied_at is not None:
        return
    complaint.replied_at = at
    meet_case_clock(session, complaint.number, "reply", 1, at)
    events.record(session, PROCESS, complaint.number, "customer_replied", by, promise=promise,
                  via=via)


def _reached(session: Session, number: str, template: str) -> bool:
    """Whether the customer's latest ``template`` message has a channel (its outbox row is
    not ``no_channel``)."""
    status = session.scalar(select(Notification.status).where(
        Notification.case_number == number, Notification.template == template,
        Notification.recipient == "customer").order_by(Notification.id.desc()).limit(1))
    return status is not None and status != "no_channel"


def _call_label(action: str, customer: Customer) -> str:
    """The task's label carries whom to call and the number, so every message about the task
    (request, escalation, card) shows them."""
    return f"{action}：{one_line(customer.name)[:40]} {customer.phone}"


def _ask_call(session: Session, policy: Policy, complaint: Complaint, *, step: str,
              clock_name: str, round: int, label: str, assignee: str,
              flow_run_id: str | None) -> ApprovalTask:
    """A phone call as a task on the message's own clock; "approve" means called."""
    clock = get_clock(session, complaint.number, clock_name, round)
    return request_approval(session, policy, ApprovalRequest(
        process=PROCESS, case_number=complaint.number, step=step, round=round, label=label,
        assignee=assignee, due_at=clock.due_at, decisions=("approve",), clock_name=clock_name,
        context=message_context(complaint, policy),
    ), flow_run_id)


def record_call(policy: Policy, number: str, task_id: int) -> None:
    """The person phoned the customer: the reply (or the 客户处理反馈单) is given, at the time
    the call was recorded. Once."""
    with session_scope() as session:
        complaint = get(session, number)
        task = session.get(ApprovalTask, task_id)
        if task.status != ApprovalStatus.DECIDED:
            return
        if task.step == REPLY_CALL:
            _replied(session, complaint, task.decided_at, task.decided_by,
                     _promise(session, policy, complaint), via="phone")
        elif task.step == FEEDBACK_CALL and task.round == complaint.round:
            _feedback_given(session, complaint, task.decided_at, task.decided_by, via="phone")


# --- 处理: the handling chain (§3) ------------------------------------------------------

def request_handling_step(policy: Policy, number: str, step: ApprovalStep,
                          flow_run_id: str | None) -> int:
    """Ask the step's assignee for a decision. A step without its own ``due`` runs on the
    case's handling clock (3 working days; 7 for a special case)."""
    with session_scope() as session:
        complaint = get(session, number)
        assignee = resolve_assignee(step.assignee, policy, complaint.handler_key)
        if step.due is None:
            clock = get_clock(session, number, "handling", complaint.round)
            due_at, clock_name = clock.due_at, "handling"
        else:
            due_at = calendar_for(policy.calendar).add(now(), step.due)
            clock_name = None
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=step.key, round=complaint.round,
            label=step.label, assignee=assignee, due_at=due_at,
            decisions=tuple(step.decisions), clock_name=clock_name,
            context=message_context(complaint, policy), mode=step.mode,
            signers=tuple(resolve_assignee(ref, policy, complaint.handler_key)
                          for ref in step.signers),
            cc=tuple(resolve_assignee(ref, policy, complaint.handler_key) for ref in step.cc),
        ), flow_run_id)
        return task.id


def apply_handling_decision(policy: Policy, number: str, task_id: int, last_step: bool) -> str:
    """What the decision means for the case: "next" step, "handled", "restart" the chain,
    back to "triage", or "compensation" (the proposed compensation needs its approver)."""
    with session_scope() as session:
        complaint = get(session, number)
        task = step_outcome(session, task_id) or session.get(ApprovalTask, task_id)
        step = next(s for s in policy.complaint.handling_steps if s.key == task.step)
        if complaint.round != task.round:  # already applied on an earlier run
            return "restart"
        if complaint.status != ComplaintStatus.HANDLING:
            return "handled"
        if task.decision == "approve":
            if not last_step:
                return "next"
            if (policy.complaint.compensation is not None
                    and (task.decision_data or {}).get("amount")):
                return "compensation"  # 004 D5 §2.9: approved by the authority table first
            complaint.upheld = True
            _criticise(session, policy, complaint, task)
            complaint.resolution = task.comment or ""
            _finish_handling(session, policy, complaint, task.decided_by)
            return "handled"
        outcome = step.on_reject if task.decision == "reject" else step.on_send_back
        if outcome == "close":
            complaint.upheld = False
            complaint.resolution = task.comment or ""
            _finish_handling(session, policy, complaint, task.decided_by)
            return "handled"
        _new_round(session, policy, complaint, reason=f"{task.step}:{task.decision}",
                   back_to_triage=outcome == "triage", keep_due=True)
        return "triage" if outcome == "triage" else "restart"


def _criticise(session: Session, policy: Policy, complaint: Complaint, task: ApprovalTask) -> None:
    """§3.3: 营管办对被投诉的当事人进行通报批评，并将处罚和批评的结果反馈给客户."""
    if not policy.complaint.category(complaint.category).public_criticism:
        return
    done = session.scalar(select(CaseEvent.id).where(
        CaseEvent.case_number == complaint.number, CaseEvent.kind == "public_criticism"))
    if done:  # once per case: a second round of handling is not a second penalty
        return
    person = task.decision_data.get("person") or staff_named(session, complaint.number)
    events.record(session, PROCESS, complaint.number, "public_criticism", task.decided_by,
                  person=person, penalty=task.comment)


def _finish_handling(session: Session, policy: Policy, complaint: Complaint, by: str) -> None:
    """Handling is over: the feedback clock (§4.1: 24 h) starts."""
    moment = now()
    complaint.handled_at = moment
    complaint.status = ComplaintStatus.FEEDBACK
    meet_case_clock(session, complaint.number, "handling", complaint.round, moment)
    start_clock(session, policy, process=PROCESS, case_number=complaint.number, name="feedback",
                owner=resolve_assignee(policy.complaint.feedback_officer, policy),
                round=complaint.round,
                due_at=calendar_for(policy.calendar).add(moment, policy.complaint.deadlines.feedback))
    events.record(session, PROCESS, complaint.number, "handled", by, upheld=complaint.upheld,
                  resolution=complaint.resolution, round=complaint.round)


def _new_round(session: Session, policy: Policy, complaint: Complaint, *, reason: str,
               back_to_triage: bool, keep_due: bool) -> None:
    old = get_clock(session, complaint.number, "handling", complaint.round)
    cancel_open_tasks(session, complaint.number, reason)
    if old is not None:
        meet_clock(old, now())
    complaint.round += 1
    calendar = calendar_for(policy.calendar)
    due = (old.due_at if keep_due and old is not None
           else calendar.add(now(), policy.complaint.deadlines.handling))
    if complaint.special and not keep_due:
        due = calendar.add(now(), policy.complaint.deadlines.handling_special)
    start_clock(session, policy, process=PROCESS, case_number=complaint.number, name="handling",
                owner=complaint.handler_key or resolve_assignee(policy.complaint.triage_assignee,
                                                                policy),
                round=complaint.round, due_at=due)
    complaint.handled_at = None
    complaint.feedback_sent_at = None
    complaint.upheld = None
    if back_to_triage:
        complaint.category = None
        complaint.department_key = None
        complaint.handler_key = None
        complaint.procedure = None
        complaint.status = ComplaintStatus.TRIAGE
    else:
        complaint.status = ComplaintStatus.HANDLING
    events.record(session, PROCESS, complaint.number, "new_round", "kefu", reason=reason,
                  round=complaint.round, back_to_triage=back_to_triage)


def mark_special(policy: Policy, number: str, actor: str, reason: str) -> datetime:
    """§3: a special case may take 7 working days from receipt instead of 3."""
    with session_scope() as session:
        complaint = get(session, number)
        if complaint.status not in (ComplaintStatus.RECEIVED, ComplaintStatus.TRIAGE,
                                    ComplaintStatus.HANDLING):
            raise ValueError(f"complaint {number} is {complaint.status}; handling is over")
        due = calendar_for(policy.calendar).add(complaint.received_at,
                                                policy.complaint.deadlines.handling_special)
        complaint.special = True
        move_clock(session, get_clock(session, number, "handling", complaint.round), policy, due)
        events.record(session, PROCESS, number, "marked_special", actor, reason=reason,
                      handling_due_at=due)
        return due


# --- 反馈: the 客户处理反馈单 within 24 h, and the customer's opinion (§4.1) -------------

def send_feedback_form(policy: Policy, number: str, flow_run_id: str | None = None) -> int | None:
    """The 客户处理反馈单 to the customer (§4.1: within 24 h of handling), once per round.
    When no channel reaches the customer, 营管办 phones them: returns that task (the flow
    waits for it; the feedback clock is met by the call). Otherwise None."""
    with session_scope() as session:
        complaint = get(session, number)
        if complaint.feedback_sent_at is not None:
            return None
        criticism = session.scalars(select(CaseEvent).where(
            CaseEvent.case_number == number, CaseEvent.kind == "public_criticism"
        ).order_by(CaseEvent.id.desc())).first()
        notify_customer(session, policy, key=f"{number}:feedback_form:{complaint.round}",
                        process=PROCESS, case_number=number, event="feedback_form",
                        customer=complaint.customer,
                        context={**message_context(complaint, policy),
                                 "criticism": criticism.detail if criticism else None})
        if _reached(session, number, "feedback_form"):
            _feedback_given(session, complaint, now(), "kefu", via="message")
            return None
        officer = resolve_assignee(policy.complaint.feedback_officer, policy)
        return _ask_call(session, policy, complaint, step=FEEDBACK_CALL, clock_name="feedback",
                         round=complaint.round, assignee=officer, flow_run_id=flow_run_id,
                         label=_call_label("电话告知客户处理结果", complaint.customer)).id


def _feedback_given(session: Session, complaint: Complaint, at: datetime, by: str,
                    via: str) -> None:
    if complaint.feedback_sent_at is not None:
        return
    complaint.feedback_sent_at = at
    meet_case_clock(session, complaint.number, "feedback", complaint.round, at)
    events.record(session, PROCESS, complaint.number, "feedback_form_sent", by,
                  round=complaint.round, via=via)


def request_customer_opinion(policy: Policy, number: str, flow_run_id: str | None) -> int:
    """营管办 records whether the customer is satisfied (approve) or not (reject)."""
    with session_scope() as session:
        complaint = get(session, number)
        officer = resolve_assignee(policy.complaint.feedback_officer, policy)
        due = calendar_for(policy.calendar).add(complaint.feedback_sent_at or now(),
                                                policy.complaint.deadlines.customer_reply)
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=CUSTOMER_FEEDBACK, round=complaint.round,
            label=f"记录客户对处理结果的意见（{one_line(complaint.customer.name)[:40]} "
                  f"{complaint.customer.phone}；同意=满意，驳回=不满意）", assignee=officer,
            due_at=due, decisions=("approve", "reject"),
            context=message_context(complaint, policy),
        ), flow_run_id)
        return task.id


def apply_customer_opinion(policy: Policy, number: str, task_id: int) -> str:
    """Satisfied → "closed". Not satisfied → handling reopens for a new round: "reopened"."""
    with session_scope() as session:
        complaint = get(session, number)
        task = step_outcome(session, task_id) or session.get(ApprovalTask, task_id)
        # closed_at: a run killed between this step and the archive applies it again.
        if (complaint.round != task.round or complaint.status != ComplaintStatus.FEEDBACK
                or complaint.closed_at is not None):
            return "closed" if complaint.closed_at else "reopened"
        if task.decision == "approve":
            complaint.satisfied = True
            complaint.closed_at = now()
            events.record(session, PROCESS, number, "customer_satisfied", task.decided_by,
                          comment=task.comment)
            return "closed"
        complaint.satisfied = False
        events.record(session, PROCESS, number, "customer_not_satisfied", task.decided_by,
                      comment=task.comment)
        _new_round(session, policy, complaint, reason="customer not satisfied",
                   back_to_triage=complaint.category is None, keep_due=False)
        return "reopened"


# --- 归档: archive (§4.2) ---------------------------------------------------------------

def archive_complaint(policy: Policy, number: str) -> ArchiveRecord:
    """Kept one year; important cases long-term (retention_until NULL)."""
    with session_scope() as session:
        complaint = get(session, number)
        record = session.scalar(select(ArchiveRecord).where(ArchiveRecord.case_number == number))
        if record is not None:
            return record
        moment = now()
        retention = policy.complaint.retention
        span = retention.important if complaint.important else retention.normal
        until = None if span is None else calendar_for(policy.calendar).add(moment, span)
        record = ArchiveRecord(
            process=PROCESS, case_number=number, important=complaint.important,
            archived_at=moment, retention_until=until,
            summary={"category": complaint.category, "department": complaint.department_key,
                     "upheld": complaint.upheld, "satisfied": complaint.satisfied,
                     "rounds": complaint.round},
        )
        session.add(record)
        complaint.status = ComplaintStatus.ARCHIVED
        complaint.closed_at = complaint.closed_at or moment
        events.record(session, PROCESS, number, "archived", "kefu", retention_until=until)
        return record


def check_decision(policy: Policy, task: ApprovalTask, data: dict) -> dict:
    """tasks/decision_checks.py: what the variants' decisions carry (a meeting's attendees, a
    compensation's amount) is checked on every path (tasks/complaint/variant_checks.py)."""
    from tasks.complaint.variant_checks import check_variant_decision

    return check_variant_decision(policy, task, data)


def case_context(session: Session, policy: Policy, number: str) -> dict:
    """The complaint's message context, for approval messages sent outside the flow
    (tasks/case_context.py)."""
    return message_context(get(session, number), policy)
