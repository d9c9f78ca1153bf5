"""The flow runs of callbacks (回访): handled cases are drawn for the sample and each one
chosen gets a run, started like a complaint's (runtime/runs.py). The draw is the daily
callback plan (prefect.yaml ``callback-plan``, 004 D14 §1.2: 客服部主管制定回访计划) and
``kefu callback draw``; the worker's reconcile starts the runs a Prefect outage left unstarted.
The complaint process never hears of callbacks."""

from __future__ import annotations

import logging

from sqlalchemy import select

from models import Callback, CallbackStatus
from models.db import session_scope
from policy.load import load_policy
from runtime.runs import PrefectUnavailable, start_case_run

DEPLOYMENT = "callback/callback"
log = logging.getLogger("kefu.runs")


def start_callback_run(number: str) -> str:
    """Create the callback's flow run (one per callback) and remember its id."""
    with session_scope() as session:
        uid = session.scalar(select(Callback.uid).where(Callback.number == number))
    run_id = start_case_run(DEPLOYMENT, {"number": number}, f"callback {number}",
                            f"callback:{uid}", tags=["process:callback"])
    with session_scope() as session:
        session.scalar(select(Callback).where(Callback.number == number)).flow_run_id = run_id
    return run_id


def draw_and_start() -> dict[str, int]:
    """The callback plan: draw the handled cases not yet considered, then start the runs of
    the callbacks chosen."""
    from tasks.callback.case import consider_handled

    policy = load_policy()
    drawn = consider_handled(policy) if policy.callback is not None else []
    return {"drawn": len(drawn), **start_missing_runs()}


def start_missing_runs() -> dict[str, int]:
    """Start the runs of open callbacks that have none (drawn while Prefect was down)."""
    counts = {"started": 0, "failed": 0}
    if load_policy().callback is None:
        return counts
    with session_scope() as session:
        numbers = list(session.scalars(select(Callback.number).where(
            Callback.flow_run_id.is_(None), Callback.status == CallbackStatus.CALLING)))
    for number in numbers:
        try:
            start_callback_run(number)
            counts["started"] += 1
        except PrefectUnavailable as exc:
            counts["failed"] += 1
            log.warning("cannot start %s: %s", number, exc)
    return counts
