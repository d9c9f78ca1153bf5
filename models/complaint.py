"""Complaints (客户投诉表) and the points they cost (客户投诉考核)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.customer import Customer


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "received"    # filed, not yet classified
    TRIAGE = "triage"        # no category matched: 营销办管理部 classifies by hand
    HANDLING = "handling"    # with the responsible department
    FEEDBACK = "feedback"    # 客户处理反馈单 sent, waiting for the customer's opinion
    ARCHIVED = "archived"


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # Unique across databases (numbers restart in a new one); names the case to Prefect.
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    policy_name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    content: Mapped[str] = mapped_column(Text)
    shipped_on: Mapped[date | None] = mapped_column(Date)
    important: Mapped[bool] = mapped_column(default=False)
    special: Mapped[bool] = mapped_column(default=False)
    # 000 D7 §6.2 H: an A customer's complaint is handled first ("A"); None otherwise.
    priority: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=ComplaintStatus.RECEIVED)
    category: Mapped[str | None] = mapped_column(String(32))
    classified_by: Mapped[str | None] = mapped_column(String(64))
    department_key: Mapped[str | None] = mapped_column(String(64))
    handler_key: Mapped[str | None] = mapped_column(String(64))
    procedure: Mapped[str | None] = mapped_column(Text)
    round: Mapped[int] = mapped_column(default=1)
    resolution: Mapped[str | None] = mapped_column(Text)
    upheld: Mapped[bool | None]
    satisfied: Mapped[bool | None]
    received_at: Mapped[datetime]
    registered_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    feedback_sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))

    customer: Mapped[Customer] = relationship(lazy="joined")


class ScoreEntry(Base):
    """000 D2 §7: 投诉一次扣一分, against the responsible department and person."""

    __tablename__ = "score_entries"
    __table_args__ = (UniqueConstraint("case_number", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    department_key: Mapped[str] = mapped_column(String(64))
    person_key: Mapped[str | None] = mapped_column(String(64))
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
