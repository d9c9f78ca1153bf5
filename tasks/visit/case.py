"""The steps of 客户拜访管理办法 (004) and 客户参观接待管理制度 (002 第二条) as plain functions:
each is one transaction and idempotent (a resumed flow re-runs from the top, and every step
finds its work done, changes nothing and sends nothing twice)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    ApprovalStatus,
    ApprovalTask,
    PlannedVisit,
    SiteVisitRequest,
    SiteVisitStatus,
    VisitPlan,
    VisitPlanStatus,
)
from models.db import session_scope
from policy.schema import Policy
from policy.visit.schema import VisitPolicy
from tasks import events
from tasks.approvals import ApprovalRequest, decide, find_task, request_approval
from tasks.case_records import by_number, policy_section
from tasks.deadlines import calendar_for, now
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.text import one_line
from tasks.visit import rules
from tasks.visit.rules import PROCESS, VisitError

PLAN_SUBMIT = "plan_submit"
PLAN_REVIEW = "plan_review"
REPORT = "visit_report"       # a visit's step: visit_report:<seq>
SITE_APPROVAL = "site_visit_approval"
EVENT = "visit_requested"


def rules_of(policy: Policy) -> VisitPolicy:
    return policy_section(policy, "visit")


def get_plan(session: Session, number: str) -> VisitPlan:
    return by_number(session, VisitPlan, number, "visit plan")


def get_request(session: Session, number: str) -> SiteVisitRequest:
    return by_number(session, SiteVisitRequest, number, "site-visit request")


def _superior(policy: Policy, person_key: str) -> str:
    return policy.organisation.person(person_key).superior or person_key


def _context(policy: Policy, *, plan: VisitPlan | None = None,
             site: SiteVisitRequest | None = None, **extra: object) -> dict:
    person = plan.salesperson_key if plan is not None else site.requested_by
    kind = rules_of(policy).site_visits.get(site.kind) if site is not None else None
    return {"plan": plan, "site": site, "kind": kind,
            "person": policy.organisation.person(person), **extra}


def case_context(session: Session, policy: Policy, number: str) -> dict:
    """A plan's or request's messages' context for the shared approval mechanism
    (tasks/case_context.py): a report that opens on the visit's day is mailed with it."""
    base = {"case_number": number, "complaint": None, "policy": policy}
    plan = session.scalar(select(VisitPlan).where(VisitPlan.number == number))
    if plan is not None:
        return {**base, **_context(policy, plan=plan)}
    site = session.scalar(select(SiteVisitRequest).where(SiteVisitRequest.number == number))
    return base if site is None else {**base, **_context(policy, site=site)}


def _ask(session: Session, policy: Policy, *, number: str, step: str, label: str,
         assignee: str, due_at: datetime, context: dict, round: int = 1,
         decisions: tuple[str, ...] = ("approve",), opens_at: datetime | None = None,
         flow_run_id: str | None = None) -> ApprovalTask:
    return request_approval(session, policy, ApprovalRequest(
        process=PROCESS, case_number=number, step=step, label=label, assignee=assignee,
        due_at=due_at, round=round, decisions=decisions, context=context, event=EVENT,
        opens_at=opens_at), flow_run_id)


# --- 拜访计划书: the monthly plan (004 3.1) --------------------------------------------------

def open_plans(policy: Policy, month: str | None = None) -> list[str]:
    """The monthly schedule's step: a plan asked of every salesperson for ``month`` (default:
    next month), once each. Returns the month's plans that have no flow run yet."""
    visit = rules_of(policy)
    work = calendar_for(policy.calendar)
    year, mon = (rules.parse_month(month) if month
                 else rules.next_month(now().astimezone(work.tz).date()))
    label = f"{year}-{mon:02d}"
    role = visit.salespeople.removeprefix("role:")
    people = [p.key for p in policy.organisation.people if role in p.roles]
    for person in people:
        try:
            with session_scope() as session:
                if session.scalar(select(VisitPlan.id).where(
                        VisitPlan.salesperson_key == person, VisitPlan.month == label)):
                    continue
                prefix = f"{visit.plan_prefix}-{year}{mon:02d}-"
                last = session.scalar(select(func.max(VisitPlan.number))
                                      .where(VisitPlan.number.like(prefix + "%")))
                sequence = int(last.removeprefix(prefix)) + 1 if last else 1
                plan = VisitPlan(uid=str(uuid.uuid4()),
                                 number=rules.plan_number(visit.plan_prefix, year, mon, sequence),
                                 salesperson_key=person, month=label, status=VisitPlanStatus.DUE,
                                 due_at=rules.plan_due_at(visit, year, mon, work), opened_at=now())
                session.add(plan)
                session.flush()
                events.record(session, PROCESS, plan.number, "plan_opened", "kefu",
                              salesperson=person, month=label, due_at=plan.due_at)
                _ask_plan(session, policy, plan, 1, None)  # asked at once: handed in even
                # while Prefect is down; the plan's run finds it asked
        except IntegrityError:
            continue  # a concurrent opening made it
    with session_scope() as session:
        return list(session.scalars(select(VisitPlan.number).where(
            VisitPlan.month == label, VisitPlan.flow_run_id.is_(None),
            VisitPlan.status != VisitPlanStatus.CLOSED).order_by(VisitPlan.number)))


def request_plan(policy: Policy, number: str, round: int, flow_run_id: str | None = None) -> int:
    """The salesperson's to-do: hand in next month's 拜访计划书 by the policy's day (a missing
    plan is escalated by the shared sweep); after a send-back, again within the review time."""
    with session_scope() as session:
        return _ask_plan(session, policy, get_plan(session, number), round, flow_run_id).id


def _ask_plan(session: Session, policy: Policy, plan: VisitPlan, round: int,
              flow_run_id: str | None) -> ApprovalTask:
    existing = find_task(session, plan.number, PLAN_SUBMIT, round)
    if existing is not None:
        if flow_run_id and existing.flow_run_id != flow_run_id:
            existing.flow_run_id = flow_run_id
        return existing
    due = plan.due_at if round == 1 else calendar_for(policy.calendar).add(
        now(), rules_of(policy).plan_review_due)
    return _ask(session, policy, number=plan.number, step=PLAN_SUBMIT, round=round,
                label=f"提交{plan.month}客户拜访计划书", assignee=plan.salesperson_key,
                due_at=due, context=_context(policy, plan=plan), flow_run_id=flow_run_id)


def submit_plan(policy: Policy, *, person: str, month: str, visit_lines: list[str]) -> dict:
    """``kefu visits plan``: the salesperson's plan, checked line by line (any bad line:
    VisitError naming the field, nothing written), replacing a sent-back one."""
    visit = rules_of(policy)
    try:
        policy.organisation.person(person)
    except KeyError:
        raise VisitError("as", f"{person!r} is not a person in the policy") from None
    year, mon = rules.parse_month(month)
    planned = rules.check_plan(visit, [rules.parse_visit(line, year, mon) for line in visit_lines])
    with session_scope() as session:
        plan = session.scalar(select(VisitPlan).where(VisitPlan.salesperson_key == person,
                                                      VisitPlan.month == f"{year}-{mon:02d}"))
        if plan is None:
            raise VisitError("month", f"no visit plan of {person} for {year}-{mon:02d} is asked "
                                      f"(`kefu visits open --month {year}-{mon:02d}` asks them)")
        task = session.scalar(select(ApprovalTask).where(
            ApprovalTask.case_number == plan.number, ApprovalTask.step == PLAN_SUBMIT,
            ApprovalTask.status == ApprovalStatus.PENDING))
        if task is None:
            raise VisitError("month", f"{plan.number} is {plan.status}: no plan is due")
        plan.visits.clear()
        session.flush()
        for seq, line in enumerate(planned, start=1):
            plan.visits.append(PlannedVisit(seq=seq, number=f"{plan.number}-{seq:02d}",
                                            visit_on=line.on, customer=line.customer,
                                            purpose=line.purpose))
        plan.status = VisitPlanStatus.REVIEW
        plan.submitted_at = now()
        decide(session, policy, task.id, actor=person, decision="approve",
               comment=f"{len(planned)} 次拜访")
        events.record(session, PROCESS, plan.number, "plan_submitted", person,
                      visits=len(planned), round=task.round)
        return {"number": plan.number, "task_id": task.id, "visits": len(planned)}


def request_review(policy: Policy, number: str, round: int, flow_run_id: str | None = None) -> int:
    """004 3.1: 呈部门主管审核 — the plan to the salesperson's superior (the policy's reviewer)."""
    visit = rules_of(policy)
    with session_scope() as session:
        plan = get_plan(session, number)
        existing = find_task(session, number, PLAN_REVIEW, round)
        if existing is not None:
            return existing.id
        reviewer = resolve_assignee(visit.plan_reviewer, policy,
                                    handler=_superior(policy, plan.salesperson_key))
        start = plan.submitted_at or now()
        return _ask(session, policy, number=number, step=PLAN_REVIEW, round=round,
                    label=f"审核{plan.month}客户拜访计划书", assignee=reviewer,
                    decisions=("approve", "send_back"),
                    due_at=calendar_for(policy.calendar).add(start, visit.plan_review_due),
                    context=_context(policy, plan=plan), flow_run_id=flow_run_id).id


def apply_review(policy: Policy, number: str, task_id: int) -> str:
    """"approved", or "send_back" (the salesperson hands in a new plan); they are told either way."""
    with session_scope() as session:
        plan = get_plan(session, number)
        task = session.get(ApprovalTask, task_id)
        if task.decision == "approve":
            if plan.approved_at is None:
                plan.approved_at = task.decided_at
                plan.status = VisitPlanStatus.APPROVED
                events.record(session, PROCESS, number, "plan_approved", task.decided_by)
        elif plan.status == VisitPlanStatus.REVIEW and plan.round == task.round:
            plan.status = VisitPlanStatus.DUE
            plan.round = task.round + 1
            events.record(session, PROCESS, number, "plan_sent_back", task.decided_by,
                          comment=task.comment)
        notify_person(session, policy, key=f"{number}:decided:{task.id}", process=PROCESS,
                      case_number=number, event="visit_decided", person_key=plan.salesperson_key,
                      context=_context(policy, plan=plan, task=task))
        return "approved" if task.decision == "approve" else "send_back"


# --- 客户拜访报告: a report within 2 days of each visit (004 3.4) -----------------------------

def request_reports(policy: Policy, number: str, flow_run_id: str | None = None) -> list[int]:
    """Each approved visit's report, asked now and opening on the visit's day (scheduled: in
    no list, mailed to nobody until then); due ``report_due`` after the visit's day."""
    visit = rules_of(policy)
    work = calendar_for(policy.calendar)
    with session_scope() as session:
        plan = get_plan(session, number)
        return [_ask(session, policy, number=number, step=f"{REPORT}:{v.seq}",
                     label=f"提交客户拜访报告：{v.visit_on} {one_line(v.customer)}",
                     assignee=plan.salesperson_key,
                     opens_at=rules.report_opens_at(v.visit_on, work),
                     due_at=rules.report_due_at(visit, v.visit_on, work),
                     context=_context(policy, plan=plan, visit=v), flow_run_id=flow_run_id).id
                for v in plan.visits]


def file_report(policy: Policy, visit_number: str, note: str) -> dict:
    """``kefu visits report``: the 客户拜访报告 of one visit, from its day on."""
    note = (note or "").strip()
    if not note:
        raise VisitError("note", "the report says what the visit found (客户拜访报告)")
    with session_scope() as session:
        visit = session.scalar(select(PlannedVisit).where(PlannedVisit.number == visit_number))
        if visit is None:
            raise VisitError("visit", f"no planned visit {visit_number}")
        task = find_task(session, visit.plan.number, f"{REPORT}:{visit.seq}", 1)
        if task is None:
            raise VisitError("visit", f"{visit_number}: its plan is not approved yet")
        if visit.reported_at is not None:
            raise VisitError("visit", f"{visit_number} was reported on {visit.reported_at:%Y-%m-%d}")
        if task.status == ApprovalStatus.SCHEDULED:
            from tasks.deadlines import local_time

            raise VisitError("visit", f"{visit_number} is on {visit.visit_on}: its report opens "
                                      f"{local_time(task.opens_at, policy.calendar.timezone)}")
        visit.report = note
        visit.reported_at = now()
        decide(session, policy, task.id, actor=visit.plan.salesperson_key, decision="approve",
               comment=one_line(note)[:200])
        events.record(session, PROCESS, visit.plan.number, "visit_reported",
                      visit.plan.salesperson_key, visit=visit_number, late=now() > task.due_at)
        return {"visit": visit_number, "task_id": task.id, "late": now() > task.due_at}


def apply_report(number: str, task_id: int) -> None:
    """A report confirmed in the inbox (or the Prefect form) rather than by ``kefu visits
    report``: its comment is the report, its decision time the filing."""
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        seq = int(task.step.removeprefix(f"{REPORT}:"))
        visit = next(v for v in get_plan(session, number).visits if v.seq == seq)
        if visit.reported_at is None:
            visit.reported_at = task.decided_at
            visit.report = task.comment or ""
            events.record(session, PROCESS, number, "visit_reported", task.decided_by,
                          visit=visit.number, late=task.decided_at > task.due_at)


def close_plan(number: str) -> str:
    with session_scope() as session:
        plan = get_plan(session, number)
        if plan.status != VisitPlanStatus.CLOSED:
            plan.status = VisitPlanStatus.CLOSED
            events.record(session, PROCESS, number, "plan_closed", "kefu")
        return plan.status


# --- 客户参观: a customer's request to visit the site (002 第二条) ----------------------------

def request_site_visit(policy: Policy, *, customer: str, kind: str, at: str, by: str,
                       visitors: int = 1, note: str = "") -> SiteVisitRequest:
    """``kefu visits request``: a customer asks to visit. The visit's kind sets its notice; a
    request whose notice has already run out is refused (VisitError, nothing written)."""
    visit = rules_of(policy)
    work = calendar_for(policy.calendar)
    customer = one_line(customer or "")
    if not customer:
        raise VisitError("customer", "the visiting customer's name is required")
    if len(customer) > 128:
        raise VisitError("customer", "at most 128 characters")
    rules.site_kind(visit, kind)
    try:
        policy.organisation.person(by)
    except KeyError:
        raise VisitError("by", f"{by!r} is not a person in the policy") from None
    if visitors < 1:
        raise VisitError("visitors", f"{visitors}: at least one visitor")
    visit_at = _parse_time(at, work)
    moment = now()
    deadline = rules.check_request_time(visit, kind, visit_at, moment, work)
    for _ in range(5):
        try:
            with session_scope() as session:
                year = moment.astimezone(work.tz).year
                prefix = f"{visit.request_prefix}-{year}-"
                last = session.scalar(select(func.max(SiteVisitRequest.number))
                                      .where(SiteVisitRequest.number.like(prefix + "%")))
                number = f"{prefix}{(int(last.removeprefix(prefix)) + 1 if last else 1):06d}"
                request = SiteVisitRequest(
                    uid=str(uuid.uuid4()), number=number, customer=customer, kind=kind,
                    visitors=visitors, visit_at=visit_at, confirm_by=deadline, requested_by=by,
                    requested_at=moment, note=one_line(note or ""),
                    status=SiteVisitStatus.REQUESTED)
                session.add(request)
                session.flush()
                events.record(session, PROCESS, number, "site_visit_requested", by,
                              customer=customer, site_kind=kind, visit_at=visit_at,
                              confirm_by=deadline)
                session.expunge(request)
                return request
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a request number after 5 tries")


def _parse_time(text: str, work) -> datetime:  # noqa: ANN001  (a WorkCalendar)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise VisitError("at", f"{text!r} is not a time; write e.g. 2026-12-10 14:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=work.tz)
    return moment


def ask_site_approval(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """002 第二条: the kind's approver confirms the visit by its notice's deadline (escalated by
    the shared sweep otherwise)."""
    visit = rules_of(policy)
    with session_scope() as session:
        site = get_request(session, number)
        kind = rules.site_kind(visit, site.kind)
        approver = resolve_assignee(kind.approver, policy,
                                    handler=_superior(policy, site.requested_by))
        return _ask(session, policy, number=number, step=SITE_APPROVAL,
                    label=f"核准{kind.label}：{one_line(site.customer)}", assignee=approver,
                    decisions=("approve", "reject"), due_at=site.confirm_by,
                    context=_context(policy, site=site), flow_run_id=flow_run_id).id


def apply_site_decision(policy: Policy, number: str, task_id: int) -> str:
    """The request approved (the 参观通知单 goes out) or refused; the requester is told."""
    with session_scope() as session:
        site = get_request(session, number)
        task = session.get(ApprovalTask, task_id)
        if site.status == SiteVisitStatus.REQUESTED:
            site.status = (SiteVisitStatus.APPROVED if task.decision == "approve"
                           else SiteVisitStatus.REJECTED)
            site.decided_at = task.decided_at
            events.record(session, PROCESS, number, f"site_visit_{site.status}", task.decided_by,
                          comment=task.comment)
        notify_person(session, policy, key=f"{number}:decided:{task.id}", process=PROCESS,
                      case_number=number, event="visit_decided", person_key=site.requested_by,
                      context=_context(policy, site=site, task=task))
        return site.status
