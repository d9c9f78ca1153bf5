"""Mail read from the complaints mailbox: each Message-ID once, filed or not and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class MailboxMessage(Base):
    """One mail the poller has read (``kefu mailbox poll``). ``complaint_number`` is the case
    it became; a mail that could not be filed has ``refused_reason`` instead and is not read
    again."""

    __tablename__ = "mailbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime]
    complaint_number: Mapped[str | None] = mapped_column(String(32))
    refused_reason: Mapped[str | None] = mapped_column(String(500))
