"""New-customer development projects (新客户开发立项申请书), their tracking records and spends
(000 D8)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

MONEY = Numeric(16, 2)


class ProspectStatus(enum.StrEnum):
    APPLIED = "applied"            # 立项申请书 in the approval chain
    REJECTED = "rejected"
    BUDGET_DUE = "budget_due"      # approved; 费用预算表 due within 7 days
    BUDGET_REVIEW = "budget_review"
    DEVELOPING = "developing"      # tracking records and reviews run
    REGISTERING = "registering"    # won: 客户基本信息表 due within 5 working days
    WON = "won"                    # registered and handed over to the sales company
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"        # the applicant withdrew the 立项申请书 before 立项


ENDED = (ProspectStatus.REJECTED, ProspectStatus.WON, ProspectStatus.SUSPENDED,
         ProspectStatus.TERMINATED, ProspectStatus.WITHDRAWN)


class Prospect(Base):
    """One development project: a prospect a salesperson proposes to win as a customer."""

    __tablename__ = "prospects"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    product_line: Mapped[str] = mapped_column(String(32))
    expected_annual_revenue: Mapped[Decimal] = mapped_column(MONEY)
    owner_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    qualified: Mapped[bool] = mapped_column(Boolean)
    qualification_reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime]
    # 立项: the leader's approval; every review is counted from it.
    approved_at: Mapped[datetime | None]
    budget_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    budget_approved_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))

    tracking: Mapped[list[TrackingRecord]] = relationship(
        order_by="TrackingRecord.id", back_populates="prospect")
    spends: Mapped[list[Spend]] = relationship(order_by="Spend.id", back_populates="prospect")


class TrackingRecord(Base):
    """000 D8 §4.1: a tracking record (跟踪记录), at least every 30 days."""

    __tablename__ = "prospect_tracking_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    progress: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    prospect: Mapped[Prospect] = relationship(back_populates="tracking")


class SpendStatus(enum.StrEnum):
    RECORDED = "recorded"
    AWAITING_APPROVAL = "awaiting_approval"  # over budget by more than the tolerance
    REFUSED = "refused"


class Spend(Base):
    """An actual development expense (开发费用), counted against the approved budget."""

    __tablename__ = "prospect_spends"

    id: Mapped[int] = mapped_column(primary_key=True)
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    approval_task_id: Mapped[int | None] = mapped_column(ForeignKey("approval_tasks.id"))

    prospect: Mapped[Prospect] = relationship(back_populates="spends")
