"""The steps of 销售部门新客户开发管理办法 (000 D8) on one development project, as plain
functions: each is one transaction and idempotent (a resumed flow re-runs from the top, and
every step finds its work done, changes nothing and sends nothing twice)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    ApprovalStatus,
    ApprovalTask,
    Clock,
    Customer,
    GradeChange,
    Prospect,
    ProspectStatus,
    Spend,
    SpendStatus,
    TrackingRecord,
)
from models.db import session_scope
from models.prospect import ENDED
from policy.new_customer.schema import ChainStep, NewCustomerPolicy
from policy.schema import Policy
from tasks import audit, events
from tasks.approvals import (
    ApprovalRequest,
    cancel_open_tasks,
    decide,
    find_task,
    move_opening,
    request_approval,
)
from tasks.case_records import by_number, policy_section
from tasks.clocks import get_clock, meet_clock, move_clock, start_clock
from tasks.deadlines import calendar_for, now
from tasks.new_customer.rules import (
    PROCESS,
    ProspectError,
    add_months,
    check_budget,
    check_product_line,
    company_key,
    outcome_status,
    parse_amount,
    qualify,
    review_dates,
    review_opens_at,
    spend_needs_approval,
    tracking_due,
)
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.text import one_line

OVERRIDE = "qualification_override"
BUDGET_SUBMIT = "budget_submit"
SPECIAL_STUDY_CLOCK = "approval:special_study"
REGISTRATION = "registration"
SPEND_OVERRUN = "spend_overrun"
TRACKING = "review:tracking"
TRACKING_REMINDER = "review:tracking-reminder"
ATTENTION = "review:attention"
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")
REVIEWING = (ProspectStatus.BUDGET_DUE, ProspectStatus.BUDGET_REVIEW, ProspectStatus.DEVELOPING)


def rules_of(policy: Policy) -> NewCustomerPolicy:
    return policy_section(policy, "new_customer")


def get(session: Session, number: str) -> Prospect:
    return by_number(session, Prospect, number, "prospect")


def chain(rules: NewCustomerPolicy, name: str) -> list[ChainStep]:
    return {"application": rules.application, "budget": rules.budget.audit,
            "report": rules.report_chain, "reward": rules.reward_chain}[name]


def _context(prospect: Prospect, policy: Policy, **extra: object) -> dict:
    return {"prospect": prospect, "owner": policy.organisation.person(prospect.owner_key),
            **extra}


def case_context(session: Session, policy: Policy, number: str) -> dict:
    """A project's messages' context for the shared approval mechanism (tasks/case_context.py):
    a review that opens months after it was asked is mailed with the project's card."""
    base = {"case_number": number, "complaint": None, "policy": policy}
    prospect = session.scalar(select(Prospect).where(Prospect.number == number))
    return base if prospect is None else {**base, **_context(prospect, policy)}


# --- 立项申请书: apply ------------------------------------------------------------------

def apply_prospect(policy: Policy, *, name: str, product_line: str, expected_annual_revenue: str,
                   owner: str) -> Prospect:
    """Check the application (any bad field: ProspectError, nothing written), decide whether
    it qualifies (000 D8 §2) and store it with a new number."""
    rules = rules_of(policy)
    name = name.strip()
    if not name:
        raise ProspectError("name", "the prospect's name is required")
    check_product_line(rules, product_line)
    revenue = parse_amount("expected_annual_revenue", expected_annual_revenue)
    try:
        policy.organisation.person(owner)
    except KeyError:
        raise ProspectError("owner", f"{owner!r} is not a person in the policy") from None
    for _ in range(5):
        try:
            with session_scope() as session:
                return _insert(session, policy, name, product_line, revenue, owner)
        except IntegrityError:
            continue  # a concurrent application took the number
    raise RuntimeError("could not allocate a prospect number after 5 tries")


def _insert(session: Session, policy: Policy, name: str, product_line: str, revenue: Decimal,
            owner: str) -> Prospect:
    rules = rules_of(policy)
    moment = now()
    # One project per prospect at a time: a second application would double its reviews,
    # budget and reward (a project that ended may be applied for again, §4.3: 重新立项).
    # The same company in either script (华东铸造厂 / 華東鑄造廠) is one company.
    key = company_key(name)
    open_project = next((row for row in session.execute(
        select(Prospect.number, Prospect.name).where(Prospect.status.not_in(ENDED))
        .order_by(Prospect.id)) if company_key(row.name) == key), None)
    if open_project is not None:
        raise ProspectError("name", f"{name} 已有进行中的开发项目 {open_project.number}"
                                    f"（{open_project.name}）；同一客户同时只能有一个开发项目")
    customer = next((row for row in session.execute(select(Customer.id, Customer.name))
                     if company_key(row.name) == key), None)
    if customer is not None:  # 000 D8 §2: 新开发客户必须是目前销售客户目录之外的新客户
        raise ProspectError("name", f"{name} 已是客户（{customer.name}），新客户开发只针对"
                                    f"客户目录之外的客户（000 D8 第二条）")
    verdict = qualify(rules, product_line, revenue, already_customer=False)
    year = moment.astimezone(calendar_for(policy.calendar).tz).year
    prefix = f"{rules.number_prefix}-{year}-"
    last = session.scalar(select(func.max(Prospect.number)).where(Prospect.number.like(prefix + "%")))
    number = f"{prefix}{(int(last.removeprefix(prefix)) + 1 if last else 1):06d}"
    prospect = Prospect(
        uid=str(uuid.uuid4()), number=number, name=name, product_line=product_line,
        expected_annual_revenue=revenue, owner_key=owner, status=ProspectStatus.APPLIED,
        qualified=verdict.qualified, qualification_reason=verdict.reason, applied_at=moment,
    )
    session.add(prospect)
    session.flush()
    events.record(session, PROCESS, number, "applied", owner, name=name,
                  product_line=product_line, expected_annual_revenue=str(revenue),
                  qualified=verdict.qualified, reason=verdict.reason)
    return prospect


def withdraw(policy: Policy, number: str, reason: str) -> dict:
    """``kefu new-customer withdraw``: the applicant takes back the 立项申请书 while it is
    still in the approval chain; every open question is withdrawn and the project ends. After
    立项 a project ends by the review group's decision instead (000 D8 §4.3 终止, §4.4 暂停)."""
    reason = one_line(reason or "")
    if not reason:
        raise ProspectError("reason", "say why the application is withdrawn")
    with session_scope() as session:
        prospect = get(session, number)
        if prospect.status != ProspectStatus.APPLIED:
            raise ProspectError("reason", f"{number} is {prospect.status}: only an application "
                                          f"not yet approved can be withdrawn (after 立项 the "
                                          f"review group decides, 000 D8 §4.3)")
        moment = now()
        prospect.status = ProspectStatus.WITHDRAWN
        prospect.closed_at = moment
        for clock in session.scalars(select(Clock).where(Clock.case_number == number,
                                                         Clock.met_at.is_(None))):
            meet_clock(clock, moment)
        cancelled = cancel_open_tasks(session, number, reason="application withdrawn")
        events.record(session, PROCESS, number, "withdrawn", prospect.owner_key, reason=reason,
                      **({"entered_by": audit.operator()} if audit.operator() else {}))
        return {"number": number, "status": prospect.status, "cancelled_tasks": cancelled,
                "flow_run_id": prospect.flow_run_id}


def is_qualified(number: str) -> bool:
    with session_scope() as session:
        return get(session, number).qualified


# --- approvals --------------------------------------------------------------------------

def _latest_decision_at(session: Session, prospect: Prospect) -> datetime:
    """Where the next step's time starts: the last decision on the project, else its filing."""
    latest = session.scalar(select(func.max(ApprovalTask.decided_at)).where(
        ApprovalTask.case_number == prospect.number, ApprovalTask.status == ApprovalStatus.DECIDED))
    return latest.replace(tzinfo=prospect.applied_at.tzinfo) if latest else prospect.applied_at


def _ask(session: Session, policy: Policy, prospect: Prospect, *, step: str, label: str,
         assignee_ref: str, due_at: datetime, round: int = 1, flow_run_id: str | None = None,
         decisions: tuple[str, ...] = ("approve", "reject", "send_back"),
         choices: dict | None = None, opens_at: datetime | None = None) -> ApprovalTask:
    assignee = resolve_assignee(assignee_ref, policy, handler=prospect.owner_key)
    return request_approval(session, policy, ApprovalRequest(
        process=PROCESS, case_number=prospect.number, step=step, label=label, assignee=assignee,
        due_at=due_at, round=round, decisions=decisions, choices=choices or {},
        context=_context(prospect, policy), event="prospect_approval_requested",
        opens_at=opens_at,
    ), flow_run_id)


def request_override(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """A prospect that does not qualify goes ahead only with the leader's approval."""
    rules = rules_of(policy)
    with session_scope() as session:
        prospect = get(session, number)
        due = calendar_for(policy.calendar).add(prospect.applied_at, rules.application[-1].due)
        return _ask(session, policy, prospect, step=OVERRIDE, label="不合立项标准：是否破例立项",
                    assignee_ref=rules.override_approver, due_at=due, flow_run_id=flow_run_id,
                    decisions=("approve", "reject")).id


def apply_override(policy: Policy, number: str, task_id: int) -> bool:
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task.decision == "approve":
            return True
        _reject(session, policy, get(session, number), task)
        return False


def request_chain_step(policy: Policy, number: str, chain_name: str, index: int, round: int,
                       flow_run_id: str | None = None) -> int:
    """Ask step ``index`` of a sequential chain (立项: group → deputy → leader; budget: deputy
    → finance → leader; 一年书面报告: group → deputy → leader)."""
    rules = rules_of(policy)
    step = chain(rules, chain_name)[index]
    with session_scope() as session:
        prospect = get(session, number)
        opens_at = None
        if chain_name == "report" and index == 0:
            start = opens_at = review_opens_at(prospect.approved_at, rules.reviews, "report")
        else:
            start = _latest_decision_at(session, prospect)
        last = index == len(chain(rules, chain_name)) - 1
        decisions: tuple[str, ...] = ("approve", "reject", "send_back")
        choices: dict = {}
        if chain_name == "report":
            decisions = ("approve", "send_back")
            choices = {"outcome": list(rules.outcomes)} if last else {}
        return _ask(session, policy, prospect, step=step.key, label=step.label,
                    assignee_ref=step.assignee, round=round, flow_run_id=flow_run_id,
                    due_at=calendar_for(policy.calendar).add(start, step.due),
                    decisions=decisions, choices=choices, opens_at=opens_at).id


def apply_chain_step(policy: Policy, number: str, chain_name: str, index: int,
                     task_id: int) -> str:
    """"next", "approved" (the last step approved), "rejected" or "send_back"; the applicant
    is told of a rejection or a send-back, with the comment."""
    last = index == len(chain(rules_of(policy), chain_name)) - 1
    with session_scope() as session:
        prospect = get(session, number)
        task = session.get(ApprovalTask, task_id)
        if task.decision == "approve":
            if not last:
                return "next"
            _chain_approved(session, policy, prospect, chain_name, task)
            return "approved"
        if task.decision == "reject" and chain_name == "application":
            _reject(session, policy, prospect, task)
            return "rejected"
        _tell_owner(session, policy, prospect, task)
        return "send_back" if task.decision == "send_back" else "rejected"


def _chain_approved(session: Session, policy: Policy, prospect: Prospect, chain_name: str,
                    task: ApprovalTask) -> None:
    if chain_name == "application" and prospect.approved_at is None:
        prospect.approved_at = task.decided_at  # 立项
        prospect.status = ProspectStatus.BUDGET_DUE
        events.record(session, PROCESS, prospect.number, "project_approved", task.decided_by)
    elif chain_name == "budget" and prospect.budget_approved_at is None:
        prospect.budget_approved_at = task.decided_at
        prospect.status = ProspectStatus.DEVELOPING
        events.record(session, PROCESS, prospect.number, "budget_approved", task.decided_by,
                      amount=str(prospect.budget_amount))
    elif chain_name == "report" and prospect.outcome is None:
        _set_outcome(session, prospect, task)
    _tell_owner(session, policy, prospect, task)


def _tell_owner(session: Session, policy: Policy, prospect: Prospect, task: ApprovalTask) -> None:
    notify_person(session, policy, key=f"{prospect.number}:decided:{task.id}", process=PROCESS,
                  case_number=prospect.number, event="prospect_decided",
                  person_key=prospect.owner_key, context=_context(prospect, policy, task=task))


def _reject(session: Session, policy: Policy, prospect: Prospect, task: ApprovalTask) -> None:
    if prospect.status == ProspectStatus.REJECTED:
        return
    prospect.status = ProspectStatus.REJECTED
    prospect.closed_at = task.decided_at
    events.record(session, PROCESS, prospect.number, "rejected", task.decided_by,
                  step=task.step, comment=task.comment)
    _tell_owner(session, policy, prospect, task)


# --- 费用预算表: budget (000 D8 §5) -----------------------------------------------------

def request_budget(policy: Policy, number: str, round: int, flow_run_id: str | None = None) -> int:
    """The owner's budget is due within 7 days of 立项 (a later round: of the refusal)."""
    rules = rules_of(policy)
    with session_scope() as session:
        prospect = get(session, number)
        existing = find_task(session, number, BUDGET_SUBMIT, round)
        if existing is not None:
            return existing.id
        start = prospect.approved_at if round == 1 else _latest_decision_at(session, prospect)
        prospect.status = ProspectStatus.BUDGET_DUE
        return _ask(session, policy, prospect, step=BUDGET_SUBMIT, label="编制费用预算表",
                    assignee_ref="handler", round=round, flow_run_id=flow_run_id,
                    due_at=calendar_for(policy.calendar).add(start, rules.budget.due),
                    decisions=("approve",)).id


def submit_budget(policy: Policy, number: str, amount_text: str) -> int:
    """``kefu new-customer budget``: record the owner's budget (≤ 30,000 元) and hand it to the
    audit chain. Returns the budget task decided."""
    rules = rules_of(policy)
    amount = check_budget(rules, parse_amount("amount", amount_text))
    with session_scope() as session:
        prospect = get(session, number)
        task = session.scalar(select(ApprovalTask).where(
            ApprovalTask.case_number == number, ApprovalTask.step == BUDGET_SUBMIT,
            ApprovalTask.status == ApprovalStatus.PENDING))
        if task is None:
            raise ProspectError("amount", f"no budget is due for {number} (status {prospect.status})")
        prospect.budget_amount = amount
        prospect.status = ProspectStatus.BUDGET_REVIEW
        decide(session, policy, task.id, actor=prospect.owner_key, decision="approve",
               comment=f"预算 {amount}")
        return task.id


def record_spend(policy: Policy, number: str, amount_text: str) -> dict:
    """``kefu new-customer spend``: an actual expense. Within budget + 5% it is recorded; beyond,
    it waits for the leader's approval (000 D8 §5.1) and is not counted until approved."""
    rules = rules_of(policy)
    amount = parse_amount("amount", amount_text)
    with session_scope() as session:
        prospect = get(session, number)
        if prospect.budget_approved_at is None:
            raise ProspectError("amount", f"{number} has no approved budget to spend against")
        settle_spends(session, prospect)
        spent = spent_total(prospect)
        spend = Spend(prospect=prospect, amount=amount, recorded_by=prospect.owner_key, at=now(),
                      status=SpendStatus.RECORDED)
        session.add(spend)
        session.flush()
        if spend_needs_approval(rules, prospect.budget_amount, spent, amount):
            spend.status = SpendStatus.AWAITING_APPROVAL
            # One question per spend (its own step), never a "round" of an earlier one.
            task = _ask(session, policy, prospect, step=f"{SPEND_OVERRUN}:{spend.id}",
                        label=f"超预算开支 {amount}（预算 {prospect.budget_amount}，已支出 {spent}）",
                        assignee_ref=rules.budget.overrun_approver, decisions=("approve", "reject"),
                        due_at=calendar_for(policy.calendar).add(now(), rules.budget.overrun_due),
                        flow_run_id=prospect.flow_run_id)
            spend.approval_task_id = task.id
        events.record(session, PROCESS, number, "spend", prospect.owner_key, amount=str(amount),
                      status=spend.status, spend_id=spend.id)
        return {"id": spend.id, "amount": str(amount), "status": spend.status,
                "approval_task_id": spend.approval_task_id}


def settle_spends(session: Session, prospect: Prospect) -> None:
    """Spends waiting for approval become recorded (approved) or refused once decided."""
    for spend in prospect.spends:
        if spend.status != SpendStatus.AWAITING_APPROVAL:
            continue
        task = session.get(ApprovalTask, spend.approval_task_id)
        if task.status == ApprovalStatus.DECIDED:
            spend.status = SpendStatus.RECORDED if task.decision == "approve" else SpendStatus.REFUSED


def spent_total(prospect: Prospect) -> Decimal:
    return sum((s.amount for s in prospect.spends if s.status == SpendStatus.RECORDED),
               Decimal("0"))


# --- reviews (000 D8 §4) ----------------------------------------------------------------

def start_reviews(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """From 立项: the first tracking record (and its reminder), the 90-day attention check
    and the 180-day special study, each a clock the shared sweep watches. The special study is
    asked now but opens on its day (the sweep then lists and mails it). Returns its task."""
    rules = rules_of(policy)
    with session_scope() as session:
        prospect = get(session, number)
        _start_tracking_round(session, policy, prospect, 1, None)
        dates = review_dates(prospect.approved_at, rules.reviews)
        start_clock(session, policy, process=PROCESS, case_number=number, name=ATTENTION,
                    owner=prospect.owner_key, due_at=dates["attention"])
        step = rules.decision_step
        return _ask(session, policy, prospect, step=step.key, label=step.label,
                    assignee_ref=step.assignee, flow_run_id=flow_run_id, decisions=("approve",),
                    choices={"outcome": list(rules.outcomes)},
                    opens_at=review_opens_at(prospect.approved_at, rules.reviews, "decision"),
                    due_at=calendar_for(policy.calendar).add(dates["decision"], step.due)).id


def _start_tracking_round(session: Session, policy: Policy, prospect: Prospect, round: int,
                          last_record_at: datetime | None) -> None:
    reminder, due = tracking_due(prospect.approved_at, last_record_at, rules_of(policy).reviews)
    for name, at in ((TRACKING_REMINDER, reminder), (TRACKING, due)):
        start_clock(session, policy, process=PROCESS, case_number=prospect.number, name=name,
                    owner=prospect.owner_key, due_at=at, round=round)


def _current_round(session: Session, number: str, name: str) -> Clock | None:
    return session.scalar(select(Clock).where(Clock.case_number == number, Clock.name == name)
                          .order_by(Clock.round.desc()).limit(1))


def track(policy: Policy, number: str, note: str, progress: bool) -> dict:
    """``kefu new-customer track``: a tracking record (跟踪记录) meets the running 30-day clock
    and starts the next; a record of progress ends the 90-day attention check (§4.1, §4.2)."""
    note = note.strip()
    if not note:
        raise ProspectError("note", "the tracking record needs a note")
    with session_scope() as session:
        prospect = get(session, number)
        if prospect.status not in REVIEWING:
            raise ProspectError("note", f"{number} takes no tracking records (status "
                                        f"{prospect.status})")
        moment = now()
        record = TrackingRecord(prospect=prospect, note=note, progress=progress,
                                recorded_by=prospect.owner_key, at=moment)
        session.add(record)
        current = _current_round(session, number, TRACKING)
        for name in (TRACKING, TRACKING_REMINDER):
            clock = get_clock(session, number, name, current.round)
            if clock is not None:
                meet_clock(clock, moment)
        _start_tracking_round(session, policy, prospect, current.round + 1, moment)
        if progress:  # before day 90 no alert is sent; after it, the special attention ends
            attention = get_clock(session, number, ATTENTION)
            if attention is not None:
                meet_clock(attention, moment)
        events.record(session, PROCESS, number, "tracked", prospect.owner_key, note=note,
                      progress=progress)
        next_due = get_clock(session, number, TRACKING, current.round + 1).due_at
        return {"number": number, "progress": progress, "next_tracking_due_at": next_due.isoformat()}


def apply_outcome(policy: Policy, number: str, task_id: int) -> str:
    """The special study's (or the year report's) outcome: continue, suspend, terminate or
    hand over to the sales company."""
    with session_scope() as session:
        prospect = get(session, number)
        task = session.get(ApprovalTask, task_id)
        if task.step == rules_of(policy).decision_step.key:
            _set_outcome(session, prospect, task)
        return task.decision_data["outcome"]


def _set_outcome(session: Session, prospect: Prospect, task: ApprovalTask) -> None:
    outcome = task.decision_data["outcome"]
    if any(e == (task.step, outcome) for e in _outcomes_recorded(session, prospect.number)):
        return
    status = outcome_status(outcome)
    prospect.status = status
    prospect.outcome = outcome if outcome != "continue" else None
    if outcome != "continue":
        _stop_reviews(session, prospect.number, task.decided_at)
    events.record(session, PROCESS, prospect.number, "outcome", task.decided_by,
                  step=task.step, outcome=outcome, comment=task.comment)


def _stop_reviews(session: Session, number: str, at: datetime) -> None:
    """An outcome other than "continue" ends development: no more tracking records or
    attention checks are due (a hand-over still registers the customer, on its own clock)."""
    for clock in session.scalars(select(Clock).where(Clock.case_number == number,
                                                     Clock.name.like("review:%"),
                                                     Clock.met_at.is_(None))):
        meet_clock(clock, at)


def _outcomes_recorded(session: Session, number: str) -> list[tuple[str, str]]:
    from models import CaseEvent

    rows = session.scalars(select(CaseEvent).where(CaseEvent.case_number == number,
                                                   CaseEvent.kind == "outcome"))
    return [(r.detail.get("step"), r.detail.get("outcome")) for r in rows]


def report_outcome(number: str) -> str:
    with session_scope() as session:
        return _outcomes_recorded(session, number)[-1][1]


def reschedule(policy: Policy) -> list[dict]:
    """Move every pending review of every open project to the offsets now in the policy
    (an admin changed ``new_customer.reviews``). Met reviews stay where they were."""
    rules = rules_of(policy)
    moved: list[dict] = []
    with session_scope() as session:
        open_ = session.scalars(select(Prospect).where(Prospect.status.in_(REVIEWING),
                                                       Prospect.approved_at.is_not(None)))
        for prospect in open_:
            dates = review_dates(prospect.approved_at, rules.reviews)
            last = max((r.at for r in prospect.tracking), default=None)
            reminder, tracking = tracking_due(prospect.approved_at, last, rules.reviews)
            calendar = calendar_for(policy.calendar)
            wanted = {TRACKING: tracking, TRACKING_REMINDER: reminder, ATTENTION: dates["attention"],
                      SPECIAL_STUDY_CLOCK: calendar.add(dates["decision"], rules.decision_step.due),
                      f"approval:{rules.report_chain[0].key}":
                          calendar.add(dates["report"], rules.report_chain[0].due)}
            opening = {SPECIAL_STUDY_CLOCK: "decision",
                       f"approval:{rules.report_chain[0].key}": "report"}
            for name, due in wanted.items():
                clock = _current_round(session, prospect.number, name)
                if clock is None or clock.met_at is not None or clock.due_at == due:
                    continue
                moved.append({"prospect": prospect.number, "review": name,
                              "from": clock.due_at.isoformat(), "to": due.isoformat()})
                move_clock(session, clock, policy, due)
                if name in opening:  # a review not yet open opens on its new day
                    move_opening(session, clock, review_opens_at(prospect.approved_at,
                                                                 rules.reviews, opening[name]))
                events.record(session, PROCESS, prospect.number, "review_moved", "kefu",
                              review=name, due_at=due)
    return moved


# --- won: 客户基本信息表 (000 D9) and closing ----------------------------------------------

def request_registration(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """A won prospect is registered as a customer within 5 working days (000 D9 §1.4)."""
    rules = rules_of(policy)
    with session_scope() as session:
        prospect = get(session, number)
        start = _latest_decision_at(session, prospect)
        return _ask(session, policy, prospect, step=REGISTRATION, label="填写客户基本信息表（备案）",
                    assignee_ref="handler", flow_run_id=flow_run_id, decisions=("approve",),
                    due_at=calendar_for(policy.calendar).add(start, rules.registration_due)).id


def register_customer(policy: Policy, number: str, *, phone: str, territory: str | None = None,
                      email: str | None = None, address: str | None = None,
                      grade: str | None = None) -> int:
    """``kefu new-customer register``: the 客户基本信息表 of the won prospect, with a temporary
    grade (the one named, else the policy's ``temporary_grade``) reviewed after 6 months
    (000 D7 §5.1.2 D), in the customer's grade history. Returns the registration task decided."""
    rules = rules_of(policy)
    if not _PHONE.match(phone.strip()):
        raise ProspectError("phone", f"{phone!r} is not a phone number")
    grade = _temporary_grade(policy, grade)
    with session_scope() as session:
        prospect = get(session, number)
        task = session.scalar(select(ApprovalTask).where(
            ApprovalTask.case_number == number, ApprovalTask.step == REGISTRATION,
            ApprovalTask.status == ApprovalStatus.PENDING))
        if task is None:
            raise ProspectError("phone", f"{number} is not waiting for registration "
                                         f"(status {prospect.status})")
        moment = now()
        customer = Customer(name=prospect.name, phone=phone.strip(), email=email, address=address,
                            territory=territory, created_at=moment, registered_at=moment,
                            grade=grade, grade_temporary=True,
                            grade_review_due_at=add_months(moment, rules.temporary_tier_review_months))
        session.add(customer)
        session.flush()
        session.add(GradeChange(customer_id=customer.id, from_grade=None, to_grade=grade,
                                temporary=True, changed_by=prospect.owner_key,
                                reason=f"新客户暂定等级（新客户开发 {number}）",
                                source="registration", case_number=number, at=moment))
        prospect.customer_id = customer.id
        decide(session, policy, task.id, actor=prospect.owner_key, decision="approve",
               comment=f"客户基本信息表已填写（客户 {customer.id}）")
        events.record(session, PROCESS, number, "registered", prospect.owner_key,
                      customer_id=customer.id, grade=grade,
                      grade_review_due_at=customer.grade_review_due_at)
        return task.id


def _temporary_grade(policy: Policy, grade: str | None) -> str:
    """The grade a new customer is registered with: the one named, else the policy's default;
    one of the tier assessment's grades when the policy has one."""
    grade = (grade or "").strip() or rules_of(policy).temporary_grade
    if not grade:
        raise ProspectError("grade", "required: the policy sets no new_customer.temporary_grade")
    grades = policy.tier_assessment.grades if policy.tier_assessment is not None else None
    if grades and grade not in grades:
        raise ProspectError("grade", f"{grade!r} is not one of {', '.join(grades)}")
    return grade


def close_project(policy: Policy, number: str, outcome: str) -> str:
    """Closing, suspending, terminating or handing over ends the reviews: every clock is
    stopped and every open question withdrawn. "continue" after the year report keeps the
    tracking records going."""
    with session_scope() as session:
        prospect = get(session, number)
        if outcome == "hand_over" and prospect.customer_id is not None:
            prospect.status = ProspectStatus.WON
        if outcome == "continue" or prospect.closed_at is not None:
            return prospect.status
        moment = now()
        prospect.closed_at = moment
        for clock in session.scalars(select(Clock).where(Clock.case_number == number,
                                                         Clock.met_at.is_(None))):
            meet_clock(clock, moment)
        cancel_open_tasks(session, number, reason=f"project {outcome}")
        events.record(session, PROCESS, number, "closed", "kefu", outcome=outcome,
                      status=prospect.status)
        return prospect.status


def is_open(status: str) -> bool:
    return status not in ENDED


# --- 年终奖励: the year-end reward proposal (000 D8 §6) ---------------------------------

def reward_case(policy: Policy, year: int) -> str:
    return f"{rules_of(policy).number_prefix}J-{year}"


def won_projects(session: Session, policy: Policy, year: int) -> list[Prospect]:
    """The projects handed over to the sales company in ``year`` (local time)."""
    tz = calendar_for(policy.calendar).tz
    won = session.scalars(select(Prospect).where(Prospect.status == ProspectStatus.WON)
                          .order_by(Prospect.number))
    return [p for p in won if p.closed_at and p.closed_at.astimezone(tz).year == year]


def propose_reward(policy: Policy, year: int) -> str:
    """Start the year's reward proposal; the review group proposes the amounts, finance
    audits, the chairman approves. Refused when there is nothing to reward or it exists."""
    if not 2000 <= year <= 2100:
        raise ProspectError("year", f"{year} is not a year")
    number = reward_case(policy, year)
    with session_scope() as session:
        projects = won_projects(session, policy, year)
        if not projects:
            raise ProspectError("year", f"no project was won in {year}: nothing to reward")
        from models import CaseEvent

        if session.scalar(select(CaseEvent.id).where(CaseEvent.case_number == number).limit(1)):
            raise ProspectError("year", f"the {year} reward proposal {number} already exists")
        events.record(session, PROCESS, number, "reward_proposed", "kefu", year=year,
                      projects=[p.number for p in projects])
    return number


def request_reward_step(policy: Policy, year: int, index: int, round: int,
                        flow_run_id: str | None = None) -> int:
    from models import CaseEvent

    step = rules_of(policy).reward_chain[index]
    number = reward_case(policy, year)
    with session_scope() as session:
        existing = find_task(session, number, step.key, round)
        if existing is not None:
            return existing.id
        latest = session.scalar(select(func.max(ApprovalTask.decided_at)).where(
            ApprovalTask.case_number == number, ApprovalTask.status == ApprovalStatus.DECIDED))
        start = latest or session.scalar(select(CaseEvent.at).where(
            CaseEvent.case_number == number, CaseEvent.kind == "reward_proposed"))
        projects = won_projects(session, policy, year)
        assignee = resolve_assignee(step.assignee, policy)
        return request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=step.key, label=f"{step.label} {year}",
            assignee=assignee, round=round, due_at=calendar_for(policy.calendar).add(start, step.due),
            context={"year": year, "projects": projects, "case_number": number},
            event="prospect_reward_requested"), flow_run_id).id


def apply_reward_step(policy: Policy, year: int, index: int, task_id: int) -> str:
    """"next", "approved" (the chairman approved), "rejected" or "send_back"."""
    last = index == len(rules_of(policy).reward_chain) - 1
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task.decision == "approve" and not last:
            return "next"
        outcome = {"approve": "approved", "reject": "rejected"}.get(task.decision, "send_back")
        if outcome != "send_back":
            from models import CaseEvent

            number = reward_case(policy, year)
            kind = f"reward_{outcome}"
            if not session.scalar(select(CaseEvent.id).where(CaseEvent.case_number == number,
                                                             CaseEvent.kind == kind)):
                events.record(session, PROCESS, number, kind, task.decided_by,
                              comment=task.comment)
        return outcome
