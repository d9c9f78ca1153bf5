"""The approvers' inbox: accounts, standing delegations, single-use decision links and the
append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Account(Base):
    """A person of the policy who may log in to the inbox; the password is a scrypt hash."""

    __tablename__ = "accounts"

    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime]


class Delegation(Base):
    """转交 standing: ``delegate_key`` may decide ``principal_key``'s tasks until ``ends_at``."""

    __tablename__ = "delegations"
    __table_args__ = (Index("ix_delegations_delegate", "delegate_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_key: Mapped[str] = mapped_column(String(64), index=True)
    delegate_key: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LinkToken(Base):
    """One signed decision link: for one person and one task, expiring, usable once."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    task_id: Mapped[int] = mapped_column(index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Every view, decision, refusal and link use. Rows are only ever inserted (a database
    trigger refuses UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(16))
    case_number: Mapped[str | None] = mapped_column(String(32), index=True)
    task_id: Mapped[int | None]
    via: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class InboxSession(Base):
    """One logged-in browser. The cookie carries a random token; the row keeps only its
    SHA-256, so a copy of this table opens no session. A session ends at ``expires_at``
    (absolute: use does not extend it), at logout, or when the account's password changes."""

    __tablename__ = "inbox_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))


class LoginThrottle(Base):
    """Failed logins of one account or one client address: the count in the current window,
    and the lock they earned. In the database, so every inbox process and a restart see it."""

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # "account" | "address"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(server_default="0")
    window_started_at: Mapped[datetime | None]
    locks: Mapped[int] = mapped_column(server_default="0")  # each lock lasts twice the last
    locked_until: Mapped[datetime | None]
