"""Apply what Prefect missed, for every process: start the runs of cases filed while it was
down, and wake runs whose decision was taken while it (or the worker) was down. The worker
calls it every 5 seconds and the sweep every 15 minutes."""

from __future__ import annotations

import logging

from sqlalchemy import select

from models import ApprovalStatus, ApprovalTask, Complaint
from models.db import session_scope
from runtime import archive_runs, callback_runs, credit_runs, new_customer_runs, survey_runs, visit_runs
from runtime.runs import PrefectUnavailable, start_complaint_run, wake_task

# Each process's starter of the runs Prefect missed (complaints are started below).
PROCESS_RUNS = (new_customer_runs, callback_runs, survey_runs, credit_runs, archive_runs, visit_runs)

log = logging.getLogger("kefu.runs")


# The complaints the worker found without a run at its last round (see ``patient``).
_unstarted_last_round: set[str] = set()


def reconcile(patient: bool = False) -> dict[str, int]:
    """Apply what Prefect missed: start runs for cases filed while it was down, and wake runs
    whose decision was taken while it (or the worker) was down.

    ``patient`` (the worker, every few seconds): start only the complaints that were already
    without a run at the previous round. A complaint filed a moment ago usually has its run
    started by whoever filed it (``kefu complaint import`` records a batch's runs a few seconds
    after filing it); starting it here too was harmless (one run per case) but cost a burst of
    500 complaints about a sixth of the worker's CPU. The sweep, every 15 minutes, starts every
    complaint it finds without a run."""
    counts = {"started": 0, "woken": 0, "failed": 0}
    with session_scope() as session:
        unstarted = list(session.scalars(
            select(Complaint.number).where(Complaint.flow_run_id.is_(None),
                                           Complaint.status != "archived")))
        unwoken = list(session.scalars(
            select(ApprovalTask.id).where(ApprovalTask.status == ApprovalStatus.DECIDED,
                                          ApprovalTask.woken_at.is_(None))))
    if patient:
        seen_before = _unstarted_last_round.intersection(unstarted)
        _unstarted_last_round.clear()
        _unstarted_last_round.update(unstarted)
        unstarted = [number for number in unstarted if number in seen_before]
    for number in unstarted:
        try:
            start_complaint_run(number)
            counts["started"] += 1
        except PrefectUnavailable as exc:
            counts["failed"] += 1
            log.warning("cannot start %s: %s", number, exc)
    for process_runs in PROCESS_RUNS:
        try:
            started = process_runs.start_missing_runs()
        except Exception:  # one process's fault must not stop the others, nor the wakes below
            counts["failed"] += 1
            log.exception("cannot start the missed runs of %s", process_runs.__name__)
            continue
        for key, value in started.items():
            counts[key] += value
    for task_id in unwoken:
        try:
            if wake_task(task_id, patience=0) == "resumed":
                counts["woken"] += 1
        except PrefectUnavailable as exc:
            counts["failed"] += 1
            log.warning("cannot wake task %s: %s", task_id, exc)
    return counts
