"""Credit (授信) and over-limit shipments (超授信额开票发货), 004 D2."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

MONEY = Numeric(16, 2)


class CreditPayment(Base):
    """A goods payment (货款) received from a customer: the credit limit is the sum of the
    payments of the 30 days before a shipment (004 D2 §1.2). Rows are only ever inserted."""

    __tablename__ = "credit_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(256))


class CreditRequest(Base):
    """A shipment (开票发货) checked against the customer's credit limit; one over the limit
    waits for the signature the policy's ladder names. The decision stays on the customer."""

    __tablename__ = "credit_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    ship_on: Mapped[date]
    credit_limit: Mapped[Decimal] = mapped_column(MONEY)
    excess: Mapped[Decimal] = mapped_column(MONEY)
    approver_key: Mapped[str | None] = mapped_column(String(64))
    approver_level: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
