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


def reconcile() -> dict[str, int]:
    """Apply what Prefect missed: start runs for cases filed while it was down, and wake runs
    whose decision was taken while it (or the worker) was down."""
    counts = {"started": 0, "woken": 0, "failed": 0}
    with session_scope() as session:
        unstarted = list(session.scalars(
            select(Complaint.number).where(Complaint.flow_run_id.is_(None),
                                           Complaint.status != "archived")))
        unwoken = list(session.scalars(
            select(ApprovalTask.id).where(ApprovalTask.status == ApprovalStatus.DECIDED,
                                          ApprovalTask.woken_at.is_(None))))
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
