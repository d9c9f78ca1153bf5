"""The complaint variants' steps on one complaint (README "Complaint variants"): the major
complaint's warning and emergency meeting (004 D5 §2.5, 004 D15), the compensation's approver
by the authority table (004 D5 §2.9), a grumble's fines and the offer to hand the customer to
another employee (000 D5 §3), and the first responsible person's written hand-over (000 D12).

Each step is one transaction and idempotent, like tasks/complaint/case.py; each does nothing
under a policy without its section (the default 000 D2)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, CaseEvent, Complaint, ComplaintStatus
from models.db import session_scope
from policy.schema import Policy
from tasks import audit, events
from tasks.approvals import ApprovalRequest, reassign, request_approval
from tasks.approvals import outcome as step_outcome
from tasks.clocks import get_clock
from tasks.complaint.case import (
    _finish_handling,
    _new_round,
    first_responsible,
    get,
    message_context,
)
from tasks.complaint.intake import PROCESS, filed_detail
from tasks.complaint.variant_checks import (
    COMPENSATION,
    EMERGENCY_MEETING,
    MAJOR_WARNING,
    REASSIGN_CUSTOMER,
)
from tasks.complaint.variant_rules import compensation_approver, grumble_fines, major_triggers
from tasks.deadlines import calendar_for, now
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.text import one_line


def _event(session: Session, number: str, *kinds: str) -> CaseEvent | None:
    return session.scalars(select(CaseEvent).where(
        CaseEvent.case_number == number, CaseEvent.kind.in_(kinds))
        .order_by(CaseEvent.id.desc())).first()


def major_of(session: Session, number: str) -> list[str]:
    """The triggers that made the case major, as recorded; empty for a general complaint."""
    found = _event(session, number, "major_complaint")
    return list((found.detail or {}).get("triggers", [])) if found is not None else []


# --- 重大投诉: major complaints (004 D5 §2.5, 004 D15) ---------------------------------------

def assess_major(policy: Policy, number: str) -> list[str]:
    """Major or general, once per case: the filing's flags and the customer's history
    (tasks/complaint/variant_rules.major_triggers). Returns the triggers (empty: general)."""
    rule = policy.complaint.major
    if rule is None:
        return []
    with session_scope() as session:
        done = _event(session, number, "major_complaint", "general_complaint")
        if done is not None:
            return list((done.detail or {}).get("triggers", []))
        complaint = get(session, number)
        earlier = session.scalar(select(func.max(Complaint.received_at)).where(
            Complaint.customer_id == complaint.customer_id, Complaint.number != number,
            Complaint.received_at <= complaint.received_at))
        found = major_triggers(rule, filed_detail(session, number).get("triggers", []),
                               _aware(complaint.received_at), _aware(earlier))
        events.record(session, PROCESS, number, "major_complaint" if found else "general_complaint",
                      "kefu", triggers=found)
        return found


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC times."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _labels(policy: Policy, triggers: list[str]) -> str:
    words = {t.key: t.label for t in policy.complaint.major.triggers}
    return "、".join(words.get(t, t) for t in triggers)


def request_major_warning(policy: Policy, number: str, flow_run_id: str | None) -> int | None:
    """004 D5 §2.5: 重大投诉…应该在24小时内向品牌事业部/管理部、法务部预警报备. The warning's
    author (the complaint's receiver) is asked to report it; the task's clock runs the
    warning's own ladder (brand business unit and legal, then VP operations and the CEO)."""
    warning = policy.complaint.major.warning if policy.complaint.major else None
    if warning is None:
        return None
    with session_scope() as session:
        complaint = get(session, number)
        triggers = major_of(session, number)
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=MAJOR_WARNING, round=1,
            label=f"重大投诉预警报备（{_labels(policy, triggers)}）",
            assignee=resolve_assignee(warning.assignee, policy, complaint.handler_key),
            due_at=calendar_for(policy.calendar).add(now(), warning.within),
            decisions=("approve",), context=message_context(complaint, policy),
        ), flow_run_id)
        return task.id


def send_major_warning(policy: Policy, number: str, task_id: int) -> None:
    """The warning as reported (the task's comment) to each of ``warning.notify``, once."""
    with session_scope() as session:
        complaint = get(session, number)
        task = session.get(ApprovalTask, task_id)
        if _event(session, number, "major_warning_sent") is not None:
            return
        warning = policy.complaint.major.warning
        told = list(dict.fromkeys(resolve_assignee(ref, policy, complaint.handler_key)
                                  for ref in warning.notify))
        context = {**message_context(complaint, policy), "task": task,
                   "triggers": _labels(policy, major_of(session, number))}
        for person in told:
            notify_person(session, policy, key=f"{number}:major_warning", process=PROCESS,
                          case_number=number, event="major_warning", person_key=person,
                          context=context)
        events.record(session, PROCESS, number, "major_warning_sent", task.decided_by,
                      notified=told, comment=task.comment)


def request_emergency_meeting(policy: Policy, number: str, flow_run_id: str | None) -> int | None:
    """004 D15 (重大投诉): 客户关系经理将投诉内容迅速传递给责任部门经理、总经理，并立即召紧急会议.
    The convener records the meeting (its attendees and the solution); ``invite`` are told."""
    meeting = policy.complaint.major.meeting if policy.complaint.major else None
    if meeting is None:
        return None
    with session_scope() as session:
        complaint = get(session, number)
        invite = [resolve_assignee(ref, policy, complaint.handler_key) for ref in meeting.invite]
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=EMERGENCY_MEETING, round=1,
            label=f"{meeting.label}（{_labels(policy, major_of(session, number))}）",
            assignee=resolve_assignee(meeting.convener, policy, complaint.handler_key),
            due_at=calendar_for(policy.calendar).add(now(), meeting.due),
            decisions=("approve",), context=message_context(complaint, policy),
            cc=tuple(p for p in dict.fromkeys(invite)),
        ), flow_run_id)
        return task.id


def record_emergency_meeting(policy: Policy, number: str, task_id: int) -> None:
    """The meeting's attendees and solution in the case's history, once."""
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if _event(session, number, "emergency_meeting_held") is not None:
            return
        events.record(session, PROCESS, number, "emergency_meeting_held", task.decided_by,
                      attendees=task.decision_data.get("attendees", []), solution=task.comment)


# --- 赔偿: compensation by the authority table (004 D5 §2.9) ---------------------------------

def compensation_asked(policy: Policy, task: ApprovalTask) -> int | None:
    """The compensation (元) a handling decision proposes, where the policy has an authority
    table; None when it proposes none."""
    if policy.complaint.compensation is None or task.decision != "approve":
        return None
    amount = (task.decision_data or {}).get("amount")
    return int(amount) if amount else None


def request_compensation(policy: Policy, number: str, handling_task_id: int,
                         flow_run_id: str | None) -> int:
    """The approver the authority table names for the amount decides the compensation; it
    runs on the handling clock (it is part of handling)."""
    with session_scope() as session:
        complaint = get(session, number)
        handling = session.get(ApprovalTask, handling_task_id)
        amount = compensation_asked(policy, handling)
        approver = compensation_approver(amount, policy.complaint.compensation)
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=COMPENSATION, round=complaint.round,
            label=f"审批赔偿 {amount} 元（{one_line(handling.comment or '')[:60]}）",
            assignee=resolve_assignee(approver, policy, complaint.handler_key),
            due_at=get_clock(session, number, "handling", complaint.round).due_at,
            decisions=("approve", "reject"), clock_name=None,
            context=message_context(complaint, policy),
        ), flow_run_id)
        asked = _event(session, number, "compensation_asked")
        if asked is None or (asked.detail or {}).get("round") != complaint.round:
            events.record(session, PROCESS, number, "compensation_asked", "kefu", amount=amount,
                          approver=task.assignee_key, round=complaint.round)
        return task.id


def apply_compensation(policy: Policy, number: str, handling_task_id: int, task_id: int) -> str:
    """Approved: handling is over, upheld, with the compensation. Refused: the handling
    starts over (a new plan). Returns "handled" or "restart"."""
    with session_scope() as session:
        complaint = get(session, number)
        task = step_outcome(session, task_id) or session.get(ApprovalTask, task_id)
        if complaint.round != task.round:
            return "restart"
        if complaint.status != ComplaintStatus.HANDLING:
            return "handled"
        handling = session.get(ApprovalTask, handling_task_id)
        amount = compensation_asked(policy, handling)
        if task.decision == "approve":
            complaint.upheld = True
            complaint.resolution = f"{handling.comment or ''}（赔偿 {amount} 元）".strip()
            events.record(session, PROCESS, number, "compensation_approved", task.decided_by,
                          amount=amount, comment=task.comment)
            _finish_handling(session, policy, complaint, task.decided_by)
            return "handled"
        _new_round(session, policy, complaint, reason=f"{COMPENSATION}:reject",
                   back_to_triage=False, keep_due=True)
        return "restart"


# --- 顾客抱怨: a grumble's fines and the customer handed on (000 D5 §3) ----------------------

def record_grumble_fines(policy: Policy, number: str) -> bool:
    """Once handling is over: the fines of 000 D5 §3.2 (variant_rules.grumble_fines), each in
    the case's history; True when the grumble was not resolved in time (rule C), so the
    customer may be handed to another employee."""
    rule = policy.complaint.grumbles
    if rule is None:
        return False
    with session_scope() as session:
        complaint = get(session, number)
        # Resolved when the handling decision met the round's handling clock (the decision's
        # time, whichever path recorded it), else when the flow finished handling.
        clock = get_clock(session, number, "handling", complaint.round)
        resolved = (clock.met_at if clock is not None else None) or complaint.handled_at
        late = bool(clock and resolved and _aware(resolved) > _aware(clock.due_at))
        if complaint.upheld is False or _event(session, number, "fined", "no_fine") is not None:
            return late and complaint.upheld is not False
        detail = filed_detail(session, number)
        manager = _manager(policy, complaint)
        fines = grumble_fines(rule, staff=detail.get("staff") or complaint.handler_key,
                              manager=manager,
                              to_general_manager=rule.to_general_manager_flag in detail.get(
                                  "triggers", []), resolved_late=late)
        for fine in fines:
            events.record(session, PROCESS, number, "fined", "kefu", person=fine.person,
                          amount=fine.amount, rule=fine.rule)
        if not fines:
            events.record(session, PROCESS, number, "no_fine", "kefu")
        return late


def _manager(policy: Policy, complaint: Complaint) -> str | None:
    """该顾客所在部门经理: the head of the department the case was routed to."""
    if complaint.department_key is None:
        return None
    return policy.organisation.department(complaint.department_key).head


def request_customer_reassignment(policy: Policy, number: str,
                                  flow_run_id: str | None) -> int:
    """000 D5 §3.2 C: 将该顾客资源移交给其他部门员工做跟紧服务 — the manager is asked whether to
    hand the customer to another employee (approve with --person) or keep them (reject)."""
    rule = policy.complaint.grumbles
    with session_scope() as session:
        complaint = get(session, number)
        by = (_manager(policy, complaint) if rule.reassignment_by == "head"
              else resolve_assignee(rule.reassignment_by, policy, complaint.handler_key))
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=REASSIGN_CUSTOMER, round=1,
            label=f"抱怨逾期未处理好：是否将顾客 {one_line(complaint.customer.name)[:40]} "
                  f"移交其他员工跟进（同意=移交，须指定人员；驳回=不移交）",
            assignee=by or resolve_assignee(policy.complaint.triage_assignee, policy),
            due_at=calendar_for(policy.calendar).add(now(), rule.reassignment_due),
            decisions=("approve", "reject"), context=message_context(complaint, policy),
            choices={"person": [p.key for p in policy.organisation.people]},
        ), flow_run_id)
        return task.id


def apply_customer_reassignment(policy: Policy, number: str, task_id: int) -> None:
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if _event(session, number, "customer_reassigned", "customer_kept") is not None:
            return
        if task.decision == "approve":
            events.record(session, PROCESS, number, "customer_reassigned", task.decided_by,
                          to=task.decision_data.get("person"), comment=task.comment)
        else:
            events.record(session, PROCESS, number, "customer_kept", task.decided_by,
                          comment=task.comment)


# --- 第一责任者: the first responsible person and the written hand-over (000 D12) -------------

def hand_over(policy: Policy, number: str, *, actor: str, to: str, note: str,
              via: str = "cli") -> str:
    """000 D12: 谁接待谁负责，直至书面移交. The owner (or an admin) hands the case to another
    person with a written note; the owner's open tasks of the case go with it. Raises
    ValueError naming the bad field; nothing is written. Returns the new owner."""
    rule = policy.complaint.first_responsible
    if rule is None:
        raise ValueError("complaint.first_responsible: this policy has no first responsible "
                         "person to hand over")
    note = one_line(note or "")
    if len(note) < rule.note_min_chars:
        raise ValueError(f"--note: the written hand-over needs at least {rule.note_min_chars} "
                         f"character(s)")
    try:
        policy.organisation.person(to)
    except KeyError:
        raise ValueError(f"--to: {to!r} is not a person in the policy") from None
    with session_scope() as session:
        complaint = get(session, number)
        owner = first_responsible(session, number)
        if complaint.status == ComplaintStatus.ARCHIVED:
            raise ValueError(f"{number}: archived; there is nothing to hand over")
        if actor not in (owner, "admin"):
            raise ValueError(f"--as: {actor} is not the first responsible person of {number} "
                             f"({owner})")
        if to == owner:
            raise ValueError(f"--to: {to} already owns {number}")
        events.record(session, PROCESS, number, "handed_over", actor, previous=owner, to=to,
                      note=note)
        audit.record(session, actor=actor, action="hand_over", via=via, case_number=number,
                     previous=owner, to=to)
        if complaint.handler_key == owner:
            complaint.handler_key = to
        for task in session.scalars(select(ApprovalTask).where(
                ApprovalTask.case_number == number, ApprovalTask.assignee_key == owner,
                ApprovalTask.status == ApprovalStatus.PENDING)).all():
            reassign(session, policy, task.id, to=to, by=actor, reason=f"书面移交：{note}",
                     via=via)
        return to
