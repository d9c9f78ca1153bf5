"""The append-only case history, the notification outbox and the archive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CaseEvent(Base):
    """Something that happened to a case. Rows are only ever inserted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]


class Notification(Base):
    """The outbox: a message is written here with the change that causes it, then sent."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    process: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    template: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    # The message's structure (notifications/render.py): the mail's HTML part and the group
    # robots' rich messages are made from it when sending. NULL on rows from before 0008.
    document: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ArchiveRecord(Base):
    """000 D2 §4.2: records kept one year; important ones long-term (retention_until NULL)."""

    __tablename__ = "archive_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    important: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime]
    retention_until: Mapped[datetime | None] = mapped_column(index=True)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
