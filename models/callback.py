"""Callbacks (回访, 004 D14): each handled case considered for the sample once, and the
callbacks of those chosen (回访记录表)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CallbackStatus(enum.StrEnum):
    NOT_SAMPLED = "not_sampled"    # considered, not drawn: no callback (recorded, never redrawn)
    CALLING = "calling"            # a caller is to phone (or visit) the customer
    SATISFIED = "satisfied"        # closed: the customer is satisfied
    DISSATISFIED = "dissatisfied"  # closed: still not satisfied after the last callback


class Callback(Base):
    """One handled case (a complaint, a repair, an activity) and the sampling decision taken on
    it; a chosen one is a callback case ``HF-2026-000001`` with its caller, due time, rounds
    and the customer's satisfaction. (kind, source_number) is unique: a case is drawn once."""

    __tablename__ = "callbacks"
    __table_args__ = (UniqueConstraint("kind", "source_number"),
                      Index("ix_callbacks_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    policy_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    source_number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    department_key: Mapped[str | None] = mapped_column(String(64))
    important: Mapped[bool] = mapped_column(default=False)
    handled_at: Mapped[datetime]
    # The draw: the case's score in [0, 1) against the kind's share (tasks/callback/rules.py).
    sample_score: Mapped[float] = mapped_column(Float)
    sample_share: Mapped[float] = mapped_column(Float)
    chosen: Mapped[bool]
    drawn_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    caller_key: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None]
    round: Mapped[int] = mapped_column(default=1)
    satisfied: Mapped[bool | None]
    note: Mapped[str | None] = mapped_column(Text)
    called_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
