"""Customers' grades between meetings and the people's side of the tier assessment: a
customer's card with its grade history, handing in a pre-grade or the meeting's decision,
and starting the flow runs (000 D7 §5–§7)."""

from __future__ import annotations

from sqlalchemy import select

from models import ApprovalTask, Customer, CustomerYearFigures, GradeChange
from models.db import session_scope
from policy.schema import Policy
from tasks.approvals import ApprovalError, decide


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
            "grade_review_due_at": _iso(customer.grade_review_due_at),
            "registered_at": _iso(customer.registered_at),
            "figures": [{"year": f.year, "sales": f.sales, "growth": f.growth,
                         "overdue_payments": f.overdue_payments, "cooperation": f.cooperation,
                         "profit": f.profit} for f in figures],
            "grade_history": [{"at": _iso(c.at), "from": c.from_grade, "to": c.to_grade,
                               "temporary": c.temporary, "by": c.changed_by, "reason": c.reason,
                               "source": c.source, "case": c.case_number} for c in history],
        }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def decide_tier_task(policy: Policy, task_id: int, actor: str, data: dict,
                     comment: str | None = None) -> str:
    """Record a pre-grade or the meeting's decision (checked first), then wake the run."""
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.tier_case import check_tier_decision

    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task is None or task.process != "tier":
            raise ApprovalError(f"approval task {task_id} is not a tier assessment task")
    check_tier_decision(policy, task, data)
    with session_scope() as session:
        decide(session, policy, task_id, actor=actor, decision="approve", comment=comment, data=data)
    try:
        return wake_task(task_id)
    except PrefectUnavailable as exc:
        return f"decision recorded; the flow continues when Prefect is back ({exc})"


def start_run(deployment: str, parameters: dict, name: str, key: str) -> str:
    """Start a flow run of ``deployment`` for a case (one per case: the key is idempotent)."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    from runtime.runs import PrefectUnavailable

    try:
        run = run_deployment(deployment, parameters=parameters, timeout=0, flow_run_name=name,
                             idempotency_key=f"{deployment}:{key}")
    except ObjectNotFound:
        raise PrefectUnavailable(f"deployment {deployment!r} is not registered: start `kefu worker`") from None
    except Exception as exc:
        raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc
    return str(run.id)
