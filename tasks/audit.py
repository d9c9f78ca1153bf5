"""The append-only audit log: every inbox view, decision, refusal and link use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry
from models.db import session_scope
from tasks.deadlines import now
from tasks.events import _jsonable


def record(session: Session, *, actor: str, action: str, outcome: str = "ok", via: str,
           case_number: str | None = None, task_id: int | None = None,
           reason: str | None = None, **detail: object) -> AuditEntry:
    entry = AuditEntry(at=now(), actor=(actor or "anonymous")[:64], action=action,
                       outcome=outcome, via=via, case_number=case_number, task_id=task_id,
                       reason=reason, detail=_jsonable(detail))
    session.add(entry)
    return entry


def record_alone(**fields: object) -> None:
    """Record in a transaction of its own (after the refused change was rolled back)."""
    with session_scope() as session:
        record(session, **fields)  # type: ignore[arg-type]


def entries(session: Session, case_number: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.case_number == case_number)
                                .order_by(AuditEntry.id)))
