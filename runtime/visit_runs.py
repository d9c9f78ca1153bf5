"""The flow runs of visit plans and site-visit requests: started like a complaint's
(runtime/runs.py), one per case, keyed by its uid."""

from __future__ import annotations

from sqlalchemy import select

from models import SiteVisitRequest, VisitPlan
from models.db import session_scope
from runtime.runs import PrefectUnavailable, start_case_run

PLAN_DEPLOYMENT = "visit-plan/visit-plan"
SITE_DEPLOYMENT = "site-visit/site-visit"


def start_plan_run(number: str) -> str:
    with session_scope() as session:
        uid = session.scalar(select(VisitPlan.uid).where(VisitPlan.number == number))
    run_id = start_case_run(PLAN_DEPLOYMENT, {"number": number}, f"visit plan {number}",
                            f"visit-plan:{uid}", tags=["process:visit"])
    with session_scope() as session:
        session.scalar(select(VisitPlan).where(VisitPlan.number == number)).flow_run_id = run_id
    return run_id


def start_site_run(number: str) -> str:
    with session_scope() as session:
        uid = session.scalar(select(SiteVisitRequest.uid).where(SiteVisitRequest.number == number))
    run_id = start_case_run(SITE_DEPLOYMENT, {"number": number}, f"site visit {number}",
                            f"site-visit:{uid}", tags=["process:visit"])
    with session_scope() as session:
        session.scalar(select(SiteVisitRequest).where(
            SiteVisitRequest.number == number)).flow_run_id = run_id
    return run_id


def start_missing_runs() -> dict[str, int]:
    """Start the runs of open plans and requests stored while Prefect (or the worker) was down."""
    counts = {"started": 0, "failed": 0}
    with session_scope() as session:
        plans = list(session.scalars(select(VisitPlan.number).where(
            VisitPlan.flow_run_id.is_(None), VisitPlan.status != "plan_closed")))
        sites = list(session.scalars(select(SiteVisitRequest.number).where(
            SiteVisitRequest.flow_run_id.is_(None), SiteVisitRequest.status == "requested")))
    for start, numbers in ((start_plan_run, plans), (start_site_run, sites)):
        for number in numbers:
            try:
                start(number)
                counts["started"] += 1
            except PrefectUnavailable:
                counts["failed"] += 1
    return counts
