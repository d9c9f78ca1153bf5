"""Clocks, approval tasks and escalations: the one approval mechanism every process uses."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class Clock(Base):
    """A deadline on a case (register, reply, handling, feedback, an approval's due time).

    ``next_escalation_at`` is the next moment the escalation ladder acts; it is NULL once the
    clock is met or the ladder is exhausted, so the sweep's indexed query only ever sees
    clocks that are overdue now, however many are open.
    """

    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("case_number", "name", "round"),
        Index("ix_clocks_next_escalation_at", "next_escalation_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(default=1)
    owner_key: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    met_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0)
    next_escalation_at: Mapped[datetime | None]


class ApprovalStatus(enum.StrEnum):
    # Asked ahead of its time: nobody sees or is told of it until ``opens_at`` (a review
    # due months after the flow reaches it); the sweep then makes it pending.
    SCHEDULED = "scheduled"
    PENDING = "pending"
    DECIDED = "decided"
    CANCELLED = "cancelled"


class ApprovalTask(Base):
    """A decision asked of one person, with a due time and an escalation clock."""

    __tablename__ = "approval_tasks"
    __table_args__ = (
        # One task per signer: several signers of a step (会签/或签/加签) differ by slot.
        UniqueConstraint("case_number", "step", "round", "slot", name="uq_approval_tasks_signer"),
        Index("ix_approval_tasks_assignee_status", "assignee_key", "status"),
        Index("ix_approval_tasks_status_woken_at", "status", "woken_at"),
        Index("ix_approval_tasks_status_opens_at", "status", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    step: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(default=1)
    label: Mapped[str] = mapped_column(String(128))
    assignee_key: Mapped[str] = mapped_column(String(64))
    allowed_decisions: Mapped[list[str]] = mapped_column(JSON)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=ApprovalStatus.PENDING)
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    decision_data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Fields an "approve" must carry and their allowed values, e.g. {"category": [...]}.
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # How often the waiting flow run was woken without a decision; part of its pause key.
    wakeups: Mapped[int] = mapped_column(default=0)
    # The flow run waiting for this decision, and when it was told (resumed) of it.
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    woken_at: Mapped[datetime | None]
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"))
    # The signers of one step: slot 0 is the task the flow waits on (the step's lead);
    # ``seq`` orders them (a lower pending seq must sign first); ``mode`` is the step's.
    slot: Mapped[int] = mapped_column(default=0)
    seq: Mapped[float] = mapped_column(default=0.0)
    mode: Mapped[str] = mapped_column(String(16), default="single")
    # A scheduled task opens (is asked, and mailed) at ``opens_at`` with the message
    # ``request_event`` its process chose when it asked; NULL for a task asked at once.
    opens_at: Mapped[datetime | None]
    request_event: Mapped[str | None] = mapped_column(String(64))

    clock: Mapped[Clock] = relationship(lazy="joined")

    @property
    def escalation_level(self) -> int:
        return self.clock.escalation_level


class Escalation(Base):
    """One rung of the ladder reached by one clock; unique, so it is never sent twice."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("clock_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"))
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[int]
    notified: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime]
