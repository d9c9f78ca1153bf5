"""The flow run of an archive request: started like a complaint's (runtime/runs.py)."""

from __future__ import annotations

from sqlalchemy import select

from models import ArchiveRequest, ArchiveRequestStatus
from models.db import session_scope
from runtime.runs import PrefectUnavailable, start_case_run

DEPLOYMENT = "archives/archives"


def start_archive_run(number: str) -> str:
    with session_scope() as session:
        uid = session.scalar(select(ArchiveRequest.uid).where(ArchiveRequest.number == number))
    run_id = start_case_run(DEPLOYMENT, {"number": number}, f"archive {number}",
                            f"archive:{uid}", tags=["process:archives"])
    with session_scope() as session:
        session.scalar(select(ArchiveRequest).where(ArchiveRequest.number == number)
                       ).flow_run_id = run_id
    return run_id


def start_missing_runs() -> dict[str, int]:
    """Start the runs of open requests stored while Prefect (or the worker) was down."""
    counts = {"started": 0, "failed": 0}
    with session_scope() as session:
        numbers = list(session.scalars(select(ArchiveRequest.number).where(
            ArchiveRequest.flow_run_id.is_(None),
            ArchiveRequest.status.in_([ArchiveRequestStatus.REQUESTED,
                                       ArchiveRequestStatus.ON_LOAN]))))
    for number in numbers:
        try:
            start_archive_run(number)
            counts["started"] += 1
        except PrefectUnavailable:
            counts["failed"] += 1
    return counts
