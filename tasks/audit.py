"""The append-only audit log: every inbox view, decision, refusal and link use.

The actor of an entry is always a person key the path proved (an inbox session, a signed link,
a one-time form code) or ``anonymous``. The command line is an admin tool on the server: what
an admin does there "as" a person is recorded with the admin's OS account as ``entered_by``
(:func:`set_operator`), so an entry says who typed it, not only on whose behalf.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry
from models.db import session_scope
from tasks.deadlines import now
from tasks.events import _jsonable

_operator: ContextVar[str | None] = ContextVar("kefu_operator", default=None)


def set_operator(name: str | None) -> None:
    """Who types the commands of this process (``os:root``); None for the worker and inbox."""
    _operator.set(name)


def operator() -> str | None:
    return _operator.get()


def record(session: Session, *, actor: str, action: str, outcome: str = "ok", via: str,
           case_number: str | None = None, task_id: int | None = None,
           reason: str | None = None, **detail: object) -> AuditEntry:
    typed_by = operator()
    if typed_by and typed_by != actor:
        detail = {**detail, "entered_by": typed_by}
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
