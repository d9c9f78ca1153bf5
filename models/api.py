"""The HTTP API's callers: API keys (stored hashed) and the idempotency keys of filings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ApiKey(Base):
    """One caller of ``/api/v1``, created by an admin (``kefu api-keys create``). The token is
    shown once; the row keeps only its SHA-256. ``scope`` is ``intake`` (file and read
    complaints) or ``person`` (act as ``person_key``: their approvals)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(48), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    person_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiIdempotency(Base):
    """An ``Idempotency-Key`` a caller filed a complaint with: a retry gets the same case."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    api_key_id: Mapped[int]
    complaint_number: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
