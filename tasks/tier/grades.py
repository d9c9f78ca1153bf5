"""Customers' grades (000 D7 §5–§7): the customer card with its grade history, decisions on
tier tasks, and, between meetings, A applications, order exceptions and temporary-grade
reviews; plus starting their flow runs."""

from __future__ import annotations

import contextlib

from sqlalchemy import select

from models import ApprovalTask, Customer, CustomerYearFigures, GradeChange
from models.db import session_scope
from policy.schema import Policy
from tasks.approvals import ApprovalError, decide
from tasks.case_records import approvals as case_approvals
from tasks.case_records import by_number, iso


def find_customer(session, name: str) -> Customer:
    found = session.scalars(select(Customer).where(Customer.name == name)).all()
    if not found:
        raise LookupError(f"NAME: no customer named {name!r}")
    if len(found) > 1:
        phones = ", ".join(c.phone for c in found)
        raise LookupError(f"NAME: {len(found)} customers are named {name!r} (phones {phones})")
    return found[0]


def customer_view(name: str) -> dict:
    """The customer's card: grade (temporary or not), territory, figures, grade history."""
    with session_scope() as session:
        customer = find_customer(session, name)
        figures = session.scalars(select(CustomerYearFigures).where(
            CustomerYearFigures.customer_id == customer.id).order_by(CustomerYearFigures.year)).all()
        history = session.scalars(select(GradeChange).where(
            GradeChange.customer_id == customer.id).order_by(GradeChange.id)).all()
        return {
            "name": customer.name, "phone": customer.phone, "email": customer.email,
            "territory": customer.territory, "grade": customer.grade,
            "grade_temporary": customer.grade_temporary,
            "grade_review_due_at": iso(customer.grade_review_due_at),
            "registered_at": iso(customer.registered_at),
            "figures": [{"year": f.year, "sales": f.sales, "growth": f.growth,
                         "overdue_payments": f.overdue_payments, "cooperation": f.cooperation,
                         "profit": f.profit} for f in figures],
            "grade_history": [{"at": iso(c.at), "from": c.from_grade, "to": c.to_grade,
                               "temporary": c.temporary, "by": c.changed_by, "reason": c.reason,
                               "source": c.source, "case": c.case_number} for c in history],
        }


def decide_tier_task(policy: Policy, task_id: int, actor: str, data: dict,
                     comment: str | None = None, decision: str = "approve") -> str:
    """Record a decision on a tier task (an assessment's are checked first), then wake the run."""
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.decision_checks import check_decision

    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task is None or task.process != "tier":
            raise ApprovalError(f"approval task {task_id} is not a tier task")
    data = check_decision(policy, task, data)
    with session_scope() as session:
        decide(session, policy, task_id, actor=actor, decision=decision, comment=comment, data=data)
    try:
        return wake_task(task_id)
    except PrefectUnavailable as exc:
        return f"decision recorded; the flow continues when Prefect is back ({exc})"


def start_run(deployment: str, parameters: dict, name: str, number: str) -> str:
    """Start a flow run of ``deployment`` for an assessment or tier case: one per case, keyed
    by its uid (numbers repeat in another database on the same Prefect server)."""
    from runtime.runs import start_case_run, wait_for_deployment

    # A worker that is just starting registers its deployments in a few seconds; when Prefect
    # is unreachable or the deployment never comes, start_case_run below says which.
    with contextlib.suppress(Exception):
        wait_for_deployment(deployment, timeout=20)
    from models import TierAssessment, TierCase

    with session_scope() as session:
        uid = (session.scalar(select(TierAssessment.uid).where(TierAssessment.number == number))
               or session.scalar(select(TierCase.uid).where(TierCase.number == number)))
    return start_case_run(deployment, parameters, name, f"{deployment}:{uid}")


# --- Between meetings (000 D7 §5.1.2 D, §6.2 B/C, §7.3) ---------------------------------------

PROCESS = "tier"
KINDS = {"a_application": "AA", "order_exception": "DE", "temporary_review": "GR"}
LABELS = {"a_application": "A级客户申报", "order_exception": "订单例外审批",
          "temporary_review": "暂定等级评估"}
ORDER_EXCEPTIONS = ("refuse_a_order", "b_c_order_first")


def chain_for(policy: Policy, kind: str) -> list[str]:
    """Who decides, in order: the A application goes section chief → 销售部长 → GM (§6.2 B);
    an order exception needs 销售部长 or higher (§6.2 C, §7.1); a temporary grade is reviewed
    by the territory's section chief (§5.1.2 D)."""
    tiers = policy.tier_assessment
    return {"a_application": list(tiers.a_application_chain),
            "order_exception": [tiers.order_exception_approver],
            "temporary_review": ["territory_chief"]}[kind]


def open_tier_case(policy: Policy, kind: str, customer_name: str, by: str, reason: str,
                   detail: dict | None = None) -> str:
    """Record an application / exception / review and return its number (AA-2027-0001)."""
    from sqlalchemy import func
    from sqlalchemy.exc import IntegrityError

    from models import TierCase
    from tasks.deadlines import now
    from tasks.tier.case import assessment_year

    try:
        if by != "kefu":  # kefu itself opens the six-month reviews
            policy.organisation.person(by)
    except KeyError:
        raise ApprovalError(f"--as: {by!r} is not a person in the policy") from None
    if not reason.strip():
        raise ApprovalError("--reason: a reason is required")
    if kind == "order_exception" and (detail or {}).get("exception") not in ORDER_EXCEPTIONS:
        raise ApprovalError(f"--exception: one of {', '.join(ORDER_EXCEPTIONS)}")
    prefix = f"{KINDS[kind]}-{assessment_year(policy)}-"
    for _ in range(5):
        try:
            with session_scope() as session:
                customer = find_customer(session, customer_name)
                if kind == "a_application" and customer.grade == policy.tier_assessment.grades[0]:
                    raise ApprovalError(f"NAME: {customer_name} is already grade {customer.grade}")
                last = session.scalar(select(func.max(TierCase.number)).where(
                    TierCase.number.like(prefix + "%")))
                number = f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:04d}"
                session.add(TierCase(number=number, kind=kind, customer_id=customer.id,
                                     requested_by=by, reason=reason, detail=detail or {},
                                     status="open", opened_at=now()))
                events_record(session, number, "opened", by, case_kind=kind, customer=customer.name,
                              reason=reason, **(detail or {}))
                return number
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a case number after 5 tries")


def events_record(session, number: str, kind: str, actor: str, **detail) -> None:
    from tasks import events

    events.record(session, PROCESS, number, kind, actor, **detail)


def _case(session, number: str):
    from models import TierCase

    return by_number(session, TierCase, number, "tier case")


def request_case_step(policy: Policy, number: str, index: int, flow_run_id: str | None) -> int:
    """Ask the ``index``-th person of the case's chain for a decision."""
    from tasks.approvals import ApprovalRequest, request_approval
    from tasks.deadlines import calendar_for, now
    from tasks.people import resolve_assignee
    from tasks.tier.rules import territory_chiefs

    tiers = policy.tier_assessment
    with session_scope() as session:
        case = _case(session, number)
        customer = session.get(Customer, case.customer_id)
        ref = chain_for(policy, case.kind)[index]
        if ref == "territory_chief":
            chief = territory_chiefs(policy).get(customer.territory)
            if chief is None:
                raise LookupError(f"{number}: territory {customer.territory!r} has no section chief")
            assignee = chief.key
        else:
            assignee = resolve_assignee(ref, policy)
        due = {"a_application": tiers.a_application_step_due,
               "order_exception": tiers.order_exception_due,
               "temporary_review": tiers.temporary_review_due}[case.kind]
        choices = {"grade": list(tiers.grades)} if case.kind == "temporary_review" else {}
        task = request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=f"{case.kind}:{index + 1}",
            label=f"{LABELS[case.kind]}：{customer.name}", assignee=assignee,
            due_at=calendar_for(policy.calendar).add(now(), due), decisions=("approve", "reject"),
            choices=choices, event="tier_case_requested",
            context={"case": case, "customer": customer, "kind_label": LABELS[case.kind]},
        ), flow_run_id)
        if case.flow_run_id is None and flow_run_id:
            case.flow_run_id = flow_run_id
        return task.id


def apply_case_step(policy: Policy, number: str, task_id: int, last: bool) -> str:
    """"next" step, or the case closes: approved (an A application makes the customer A; a
    review fixes the grade chosen) or rejected. Writes the grade history. Idempotent."""
    from models import GradeChange as Change
    from tasks.deadlines import now

    with session_scope() as session:
        case = _case(session, number)
        task = session.get(ApprovalTask, task_id)
        if case.status != "open":
            return case.status
        if task.decision == "approve" and not last:
            return "next"
        moment = now()
        case.status, case.closed_at = ("approved" if task.decision == "approve" else "rejected"), moment
        customer = session.get(Customer, case.customer_id)
        grade = None
        if case.status == "approved" and case.kind == "a_application":
            grade = policy.tier_assessment.grades[0]
        if case.kind == "temporary_review" and case.status == "approved":
            grade = task.decision_data.get("grade")
        if case.kind == "temporary_review":
            customer.grade_review_due_at = None
        if grade is not None:
            session.add(Change(customer_id=customer.id, from_grade=customer.grade, to_grade=grade,
                               temporary=False, changed_by=task.decided_by,
                               reason=f"{LABELS[case.kind]}：{task.comment or case.reason}",
                               source=case.kind, case_number=number, at=moment))
            customer.grade, customer.grade_temporary = grade, False
        events_record(session, number, case.status, task.decided_by, grade=grade,
                      comment=task.comment)
        return case.status


def open_due_reviews(policy: Policy) -> list[str]:
    """§5.1.2 D: a new customer's temporary grade is reviewed once its six months are up
    (``grade_review_due_at``, written at registration). One review per customer and due date."""
    from models import TierCase
    from tasks.deadlines import local_time, now

    with session_scope() as session:
        due = session.scalars(select(Customer).where(
            Customer.grade_temporary.is_(True), Customer.grade_review_due_at <= now())).all()
        pending = [(c.name, c.grade_review_due_at.isoformat()) for c in due
                   if not session.scalar(select(TierCase.id).where(
                       TierCase.customer_id == c.id, TierCase.kind == "temporary_review",
                       TierCase.status == "open"))]
    tz = policy.calendar.timezone
    return [open_tier_case(policy, "temporary_review", name, "kefu",
                           f"暂定等级满六个月（到期 {local_time(due_at, tz)}）", {"review_due_at": due_at})
            for name, due_at in pending]


def tier_case_view(number: str) -> dict:
    with session_scope() as session:
        case = _case(session, number)
        customer = session.get(Customer, case.customer_id)
        return {"number": case.number, "kind": case.kind, "customer": customer.name,
                "grade": customer.grade, "requested_by": case.requested_by, "reason": case.reason,
                "detail": case.detail, "status": case.status, "flow_run_id": case.flow_run_id,
                "approvals": case_approvals(session, number)}


def tier_case_text(number: str) -> str:
    """An A application, order exception or temporary-grade review as people read it
    (``kefu tiers case``): its kind, customer, status, reason and steps, in words."""
    from policy.load import load_policy
    from tasks import labels
    from tasks.text import one_line

    view = tier_case_view(number)
    org = load_policy().organisation
    lines = [f"{view['number']} {LABELS.get(view['kind'], view['kind'])} "
             f"{one_line(view['customer'])}：{labels.status(view['status'])}",
             f"  申请人：{one_line(labels.person(view['requested_by'], org))}　"
             f"理由：{one_line(view['reason'] or '')}"]
    for task in view["approvals"]:
        done = labels.decision(task["decision"]) if task["decision"] else labels.status(task["status"])
        lines.append(f"  #{task['id']} {one_line(task['label'])} → "
                     f"{one_line(labels.person(task['assignee'], org))}：{done}")
    return "\n".join(lines)


def case_text(number: str) -> str:
    """Any tier case beside its task in the inbox: the assessment's table (``kefu tiers
    show``), or an application's, exception's or review's lines."""
    from models import TierAssessment
    from tasks.tier.case import table_text

    with session_scope() as session:
        found = session.scalar(select(TierAssessment.id).where(TierAssessment.number == number))
    return table_text(number) if found is not None else tier_case_text(number)
