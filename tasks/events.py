"""The case history: one append-only function writes it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import CaseEvent
from tasks.deadlines import now


def record(session: Session, process: str, case_number: str, kind: str, actor: str,
           **detail: object) -> CaseEvent:
    event = CaseEvent(process=process, case_number=case_number, kind=kind, actor=actor,
                      detail=_jsonable(detail), at=now())
    session.add(event)
    return event


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value
