"""The flow runs of callbacks (回访): handled cases are drawn for the sample and each one
chosen gets a run, started like a complaint's (runtime/runs.py). The worker's reconcile (every
5 seconds) and the sweep (every 15 minutes) call ``start_missing_runs``: the complaint process
never hears of callbacks."""

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


def start_missing_runs() -> dict[str, int]:
    """Draw the handled cases not yet considered, then start the runs of open callbacks that
    have none (drawn just now, or while Prefect was down)."""
    from tasks.callback.case import consider_handled

    counts = {"started": 0, "failed": 0}
    policy = load_policy()
    if policy.callback is None:
        return counts
    consider_handled(policy)
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
