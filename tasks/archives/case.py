"""The steps of a 借阅申请 or 销毁申请 of an archived record, as plain functions: each one
transaction and idempotent (a resumed flow re-runs from the top)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApprovalStatus, ApprovalTask, ArchiveRequest, ArchiveRequestStatus, SecrecyMark
from models.db import session_scope
from policy.archives.schema import ArchivesPolicy
from policy.schema import Policy
from tasks import audit, events
from tasks.approvals import ApprovalRequest, decide, find_task, outcome, request_approval
from tasks.archives.rules import KINDS, PROCESS, ArchiveError, approver_ref
from tasks.case_records import by_number, policy_section
from tasks.clocks import meet_case_clock
from tasks.confidentiality import LEVELS, RECORD_KINDS, find_record, level_of, readers_of_everything
from tasks.deadlines import calendar_for, now
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.text import one_line

APPROVAL = "borrow_approval"
RETURN = "return"


def rules_of(policy: Policy) -> ArchivesPolicy:
    return policy_section(policy, "archives")


def get(session: Session, number: str) -> ArchiveRequest:
    return by_number(session, ArchiveRequest, number, "archive request")


def _person(policy: Policy, key: str, field: str = "as") -> str:
    try:
        return policy.organisation.person(key).key
    except KeyError:
        raise ArchiveError(field, f"unknown person {key!r}") from None


def _record_kind(kind: str) -> str:
    if kind not in RECORD_KINDS:
        raise ArchiveError("kind", f"{kind!r} is not one of {', '.join(RECORD_KINDS)}")
    return kind


def mark(policy: Policy, record_kind: str, record_key: str, level: str, by: str) -> dict:
    """标明密级 (000 D11 §3.4): the record's department head, the records keeper, or the
    general manager and deputies mark a record; the period is the level's from the policy."""
    rules = rules_of(policy)
    _record_kind(record_kind)
    if level not in LEVELS:
        raise ArchiveError("level", f"{level!r} is not one of {', '.join(LEVELS)}")
    by = _person(policy, by)
    with session_scope() as session:
        record = find_record(session, policy, record_kind, record_key)
        if record is None:
            raise ArchiveError("record", f"no archived {record_kind} {record_key!r}")
        allowed = readers_of_everything(policy) | {
            resolve_assignee(rules.destruction_chain[0], policy)}
        if record.department:
            head = policy.organisation.department(record.department).head
            allowed |= {head} if head else set()
        if by not in allowed:
            raise ArchiveError("as", f"{by} may not mark {record_key} (000 D11 §3.4: the "
                                     f"department that holds it, the records keeper or the GM)")
        row = session.scalar(select(SecrecyMark).where(SecrecyMark.record_kind == record_kind,
                                                       SecrecyMark.record_key == record_key))
        moment = now()
        if row is None:
            row = SecrecyMark(record_kind=record_kind, record_key=record_key, level=level,
                              marked_by=by, marked_at=moment)
            session.add(row)
        else:
            row.level, row.marked_by, row.marked_at, row.secret_until = level, by, moment, None
        audit.record(session, actor=by, action="mark_archive", via="cli", case_number=record_key,
                     level=level, record_kind=record_kind)
        return {"record": record_key, "level": level, "marked_by": by}


def _next_number(session: Session, prefix: str) -> str:
    year = now().year
    count = session.scalar(select(func.count(ArchiveRequest.id)).where(
        ArchiveRequest.number.like(f"{prefix}-{year}-%"))) or 0
    return f"{prefix}-{year}-{count + 1:06d}"


def file_request(policy: Policy, *, kind: str, record_kind: str, record_key: str,
                 requester: str, reason: str) -> ArchiveRequest:
    """A 借阅申请 (kind borrow) or 销毁申请 (kind destroy); checked whole before anything is
    written."""
    rules = rules_of(policy)
    if kind not in KINDS:
        raise ArchiveError("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    _record_kind(record_kind)
    requester = _person(policy, requester)
    reason = one_line(reason or "").strip()
    if not reason:
        raise ArchiveError("reason", "say why (借阅理由 / 销毁理由)")
    if len(reason) > 500:
        raise ArchiveError("reason", "at most 500 characters")
    if kind == "borrow" and requester in readers_of_everything(policy):
        raise ArchiveError("as", f"{requester} reads every record without a loan (000 D11 §4.1.1)")
    with session_scope() as session:
        record = find_record(session, policy, record_kind, record_key)
        if record is None:
            raise ArchiveError("record", f"no archived {record_kind} {record_key!r}")
        _, destroyed = level_of(session, policy, record, now())
        if destroyed:
            raise ArchiveError("record", f"{record_key} was destroyed")
        open_same = session.scalar(select(ArchiveRequest.number).where(
            ArchiveRequest.kind == kind, ArchiveRequest.requester_key == requester,
            ArchiveRequest.record_kind == record_kind, ArchiveRequest.record_key == record_key,
            ArchiveRequest.status.in_([ArchiveRequestStatus.REQUESTED,
                                       ArchiveRequestStatus.ON_LOAN])).limit(1))
        if open_same:
            raise ArchiveError("record", f"{requester} already has {open_same} open for {record_key}")
        request = ArchiveRequest(number=_next_number(session, rules.number_prefix), kind=kind,
                                 record_kind=record_kind, record_key=record_key,
                                 requester_key=requester, reason=reason,
                                 status=ArchiveRequestStatus.REQUESTED, requested_at=now())
        session.add(request)
        session.flush()
        events.record(session, PROCESS, request.number, "archive_requested", requester,
                      request_kind=kind, record=record_key)
        audit.record(session, actor=requester, action=f"archive_{kind}_request", via="cli",
                     case_number=record_key, request=request.number)
        session.expunge(request)
        return request


def case_context(session: Session, policy: Policy, case_number: str) -> dict:
    """What a message about a request's task shows (tasks/case_context.py): the request,
    never the record's content."""
    return _context(policy, get(session, case_number), None)


def _context(policy: Policy, request: ArchiveRequest, level: str | None) -> dict:
    return {"case_number": request.number, "complaint": None, "policy": policy,
            "request": {"number": request.number, "kind": request.kind,
                        "record": request.record_key, "reason": request.reason,
                        "due_at": request.due_at},
            "requester": policy.organisation.person(request.requester_key),
            "level": level}


def request_borrow_approval(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """000 D9 §1.5: the department manager (own department) or the GM (another's; 绝密)."""
    rules = rules_of(policy)
    with session_scope() as session:
        request = get(session, number)
        record = find_record(session, policy, request.record_kind, request.record_key)
        level, _ = level_of(session, policy, record, now())
        ref = approver_ref(rules, policy.organisation, request.requester_key, record.department,
                           level)
        return request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=APPROVAL, label="档案借阅审批",
            assignee=resolve_assignee(ref, policy),
            due_at=calendar_for(policy.calendar).add(request.requested_at, rules.approval_due),
            context=_context(policy, request, level)), flow_run_id).id


def apply_borrow_decision(policy: Policy, number: str, task_id: int) -> str:
    """Approved: lent from the decision for the policy's loan (004 第19条: at most 3 days).
    Refused: the requester is told. Returns "lent" or "refused"."""
    rules = rules_of(policy)
    with session_scope() as session:
        request = get(session, number)
        if request.status != ArchiveRequestStatus.REQUESTED:
            return "refused" if request.status == ArchiveRequestStatus.REFUSED else "lent"
        decided = outcome(session, task_id)
        if decided is None or decided.decision != "approve":
            request.status = ArchiveRequestStatus.REFUSED
            notify_person(session, policy, key=f"{number}:refused", process=PROCESS,
                          case_number=number, event="archive_decided", person_key=request.requester_key,
                          context={**_context(policy, request, None), "result": "refused"})
            return "refused"
        request.status = ArchiveRequestStatus.ON_LOAN
        request.lent_at = decided.decided_at or now()
        request.due_at = calendar_for(policy.calendar).add(request.lent_at, rules.loan)
        events.record(session, PROCESS, number, "archive_lent", decided.decided_by or "kefu",
                      due_at=request.due_at)
        return "lent"


def ask_return(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """The borrower's to-do 归还档案, due when the loan ends; its clock is escalated by the
    sweep on the archives ladder when the record is not back (day 4)."""
    with session_scope() as session:
        request = get(session, number)
        return request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=RETURN, label="归还借阅档案",
            assignee=request.requester_key, due_at=request.due_at, decisions=("approve",),
            event="archive_lent", context=_context(policy, request, None)), flow_run_id).id


def record_return(policy: Policy, number: str, by: str) -> dict:
    """``kefu archives return``: the record is back (借阅者归还时在登记册上注销, 004 第20条);
    the loan ends at once, whatever the flow is doing."""
    by = _person(policy, by)
    with session_scope() as session:
        request = get(session, number)
        if request.kind != "borrow" or request.status != ArchiveRequestStatus.ON_LOAN:
            raise ArchiveError("number", f"{number} is not on loan (status {request.status})")
        task = find_task(session, number, RETURN, 1)
        request.status = ArchiveRequestStatus.RETURNED
        request.returned_at = now()
        if task is not None and task.status == ApprovalStatus.PENDING:
            decide(session, policy, task.id, actor=by, decision="approve", comment="已归还")
        else:
            meet_case_clock(session, number, f"approval:{RETURN}", 1, request.returned_at)
        audit.record(session, actor=by, action="archive_return", via="cli",
                     case_number=request.record_key, request=number)
        return {"number": number, "status": request.status, "returned_at": request.returned_at,
                "task_id": task.id if task else None}


def close_loan(number: str) -> str:
    """The borrower confirmed 归还 in the inbox (or with a link): the loan ends at that decision."""
    with session_scope() as session:
        request = get(session, number)
        task = find_task(session, number, RETURN, 1)
        if request.status == ArchiveRequestStatus.ON_LOAN and task is not None \
                and task.status == ApprovalStatus.DECIDED:
            request.status = ArchiveRequestStatus.RETURNED
            request.returned_at = task.decided_at or now()
            events.record(session, PROCESS, number, "archive_returned", task.decided_by or "kefu")
        return request.status


def request_destruction_step(policy: Policy, number: str, index: int,
                             flow_run_id: str | None = None) -> int:
    """001 §6.10: 客户信息主管 → 客户服务部经理 → 总经理, one after the other."""
    rules = rules_of(policy)
    with session_scope() as session:
        request = get(session, number)
        return request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=f"destroy_{index + 1}",
            label=f"档案销毁审批（第{index + 1}/3级）",
            assignee=resolve_assignee(rules.destruction_chain[index], policy),
            due_at=calendar_for(policy.calendar).add(now(), rules.approval_due),
            decisions=("approve", "reject"),
            context=_context(policy, request, None)), flow_run_id).id


def apply_destruction_step(policy: Policy, number: str, index: int, task_id: int) -> str:
    """"next", "refused" or (after the third approval) "destroyed": the record is marked
    destroyed and nobody reads it again."""
    with session_scope() as session:
        request = get(session, number)
        if request.status in (ArchiveRequestStatus.REFUSED, ArchiveRequestStatus.DESTROYED):
            return request.status
        decided = outcome(session, task_id)
        if decided is None or decided.decision != "approve":
            request.status = ArchiveRequestStatus.REFUSED
            result = "refused"
        elif index < 2:
            return "next"
        else:
            request.status = ArchiveRequestStatus.DESTROYED
            row = session.scalar(select(SecrecyMark).where(
                SecrecyMark.record_kind == request.record_kind,
                SecrecyMark.record_key == request.record_key))
            if row is None:
                row = SecrecyMark(record_kind=request.record_kind, record_key=request.record_key,
                                  level=rules_of(policy).default_levels[request.record_kind],
                                  marked_by=request.requester_key, marked_at=now())
                session.add(row)
            row.destroyed_at = now()
            result = "destroyed"
        notify_person(session, policy, key=f"{number}:{result}", process=PROCESS,
                      case_number=number, event="archive_decided",
                      person_key=request.requester_key,
                      context={**_context(policy, request, None), "result": result})
        events.record(session, PROCESS, number, f"archive_{result}", "kefu",
                      record=request.record_key)
        return result


def request_view(number: str) -> dict:
    """``kefu archives show DA-…``: the request, its loan and its approvals (never the
    record's content)."""
    from tasks.case_records import approvals, iso

    with session_scope() as session:
        request = get(session, number)
        return {"number": request.number, "kind": request.kind,
                "record_kind": request.record_kind, "record": request.record_key,
                "requester": request.requester_key, "reason": request.reason,
                "status": request.status, "requested_at": iso(request.requested_at),
                "lent_at": iso(request.lent_at), "due_at": iso(request.due_at),
                "returned_at": iso(request.returned_at), "flow_run_id": request.flow_run_id,
                "approvals": approvals(session, number)}


def kind_of(number: str) -> str:
    with session_scope() as session:
        return get(session, number).kind


def pending_return_tasks(session: Session) -> list[ApprovalTask]:
    return list(session.scalars(select(ApprovalTask).where(
        ApprovalTask.process == PROCESS, ApprovalTask.step == RETURN,
        ApprovalTask.status == ApprovalStatus.PENDING)))


def request_text(policy: Policy, number: str, locale: str = "zh-CN") -> str:
    """The request in words, beside its task in the inbox (who asks for which record, why,
    the loan's dates); never the record's content."""
    from tasks import labels
    from tasks.deadlines import local_time

    view = request_view(number)
    tz = policy.calendar.timezone
    kind = {"borrow": "借阅", "destroy": "销毁"}[view["kind"]]
    lines = [f"{kind}申请 {view['number']}：档案 {view['record']}",
             f"申请人：{labels.person(view['requester'], policy.organisation, locale)}",
             f"理由：{view['reason']}",
             f"状态：{labels.status(view['status'], locale)}"]
    if view["due_at"]:
        lines.append(f"借阅期：{local_time(view['lent_at'], tz)} 至 {local_time(view['due_at'], tz)}")
    return "\n".join(lines)
