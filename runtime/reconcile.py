"""Apply what Prefect missed, for every process: start the runs of cases filed while it was
down, and wake runs whose decision was taken while it (or the worker) was down. The worker
calls it every 5 seconds and the sweep every 15 minutes."""

from __future__ import annotations

import logging

from sqlalchemy import select

from models import ApprovalStatus, ApprovalTask, Complaint
from models.db import session_scope
from runtime import archive_runs, callback_runs, credit_runs, survey_runs
from runtime.new_customer_runs import start_missing_runs
from runtime.runs import PrefectUnavailable, start_complaint_run, wake_task
from runtime.visit_runs import start_missing_runs as start_missing_visit_runs

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
    for key, value in start_missing_runs().items():
        counts[key] += value
    for key, value in callback_runs.start_missing_runs().items():
        counts[key] += value
    for process_runs in (survey_runs, credit_runs):
        for key, value in process_runs.start_missing_runs().items():
            counts[key] += value
    for key, value in archive_runs.start_missing_runs().items():
        counts[key] += value
    for key, value in start_missing_visit_runs().items():
        counts[key] += value
    for task_id in unwoken:
        try:
            if wake_task(task_id, patience=0) == "resumed":
                counts["woken"] += 1
        except PrefectUnavailable as exc:
            counts["failed"] += 1
            log.warning("cannot wake task %s: %s", task_id, exc)
    return counts
