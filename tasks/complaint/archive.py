"""000 D2 §4.2: purge archived complaints whose retention has run out; important ones stay."""

from __future__ import annotations

from sqlalchemy import delete, select

from models import (
    ApprovalTask,
    ArchiveRecord,
    CaseEvent,
    Clock,
    Complaint,
    Escalation,
    Notification,
    ScoreEntry,
)
from models.db import session_scope
from tasks.deadlines import now


def purge_expired(dry_run: bool = False) -> list[str]:
    """Delete every record of archived, non-important cases past ``retention_until``."""
    moment = now()
    with session_scope() as session:
        numbers = list(session.scalars(select(ArchiveRecord.case_number).where(
            ArchiveRecord.important.is_(False), ArchiveRecord.retention_until.is_not(None),
            ArchiveRecord.retention_until <= moment)))
        if dry_run or not numbers:
            return numbers
        clock_ids = select(Clock.id).where(Clock.case_number.in_(numbers))
        session.execute(delete(Escalation).where(Escalation.clock_id.in_(clock_ids)))
        for table in (ApprovalTask, Notification, CaseEvent, ScoreEntry, ArchiveRecord):
            session.execute(delete(table).where(table.case_number.in_(numbers)))
        session.execute(delete(Clock).where(Clock.case_number.in_(numbers)))
        session.execute(delete(Complaint).where(Complaint.number.in_(numbers)))
        return numbers
