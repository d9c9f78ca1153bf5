"""The flow run of an over-limit shipment (runtime/runs.py starts every process's runs)."""

from __future__ import annotations

from sqlalchemy import select

from models import CreditRequest
from models.db import session_scope
from runtime.runs import PrefectUnavailable, start_case_run

DEPLOYMENT = "credit/credit"


def start_credit_run(number: str) -> str:
    with session_scope() as session:
        uid = session.scalar(select(CreditRequest.uid).where(CreditRequest.number == number))
    run_id = start_case_run(DEPLOYMENT, {"number": number}, f"credit {number}", f"credit:{uid}",
                            tags=["process:credit"])
    with session_scope() as session:
        session.scalar(select(CreditRequest).where(CreditRequest.number == number)).flow_run_id = run_id
    return run_id


def start_missing_runs() -> dict[str, int]:
    """Start the runs of over-limit shipments requested while Prefect (or the worker) was down."""
    counts = {"started": 0, "failed": 0}
    with session_scope() as session:
        numbers = list(session.scalars(select(CreditRequest.number).where(
            CreditRequest.flow_run_id.is_(None), CreditRequest.status == "pending")))
    for number in numbers:
        try:
            start_credit_run(number)
            counts["started"] += 1
        except PrefectUnavailable:
            counts["failed"] += 1
    return counts
