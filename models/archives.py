"""Customer archives and their confidentiality (客户档案的保密, 000 D11, 000 D9 §1.5, 004 第19–22条).

``secrecy_marks``: the level (秘密/机密/绝密) a record was marked with and when its secrecy
period ends; a record without a mark has its kind's default level from the policy.
``archive_requests``: a request to borrow (借阅) or destroy (销毁) an archived record, with its
loan (lent, due, returned)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SecrecyMark(Base):
    __tablename__ = "secrecy_marks"
    __table_args__ = (UniqueConstraint("record_kind", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(16))     # complaint | customer
    record_key: Mapped[str] = mapped_column(String(64))      # case number, customer name
    level: Mapped[str] = mapped_column(String(16))           # secret | confidential | top_secret
    marked_by: Mapped[str] = mapped_column(String(64))
    marked_at: Mapped[datetime]
    # 000 D11 §3.4: 保密期限届满 … 自行解密; NULL: the policy's period for the level applies.
    secret_until: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]


class ArchiveRequestStatus(enum.StrEnum):
    REQUESTED = "requested"    # waiting for its approvals
    ON_LOAN = "on_loan"        # approved, lent, not yet returned
    RETURNED = "returned"
    REFUSED = "refused"
    DESTROYED = "destroyed"


class ArchiveRequest(Base):
    """A 借阅申请 (kind ``borrow``) or a 销毁申请 (kind ``destroy``) of one archived record."""

    __tablename__ = "archive_requests"
    __table_args__ = (Index("ix_archive_requests_record", "record_kind", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(16))            # borrow | destroy
    record_kind: Mapped[str] = mapped_column(String(16))
    record_key: Mapped[str] = mapped_column(String(64))
    requester_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ArchiveRequestStatus.REQUESTED)
    requested_at: Mapped[datetime]
    lent_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
