"""Visit plans (拜访计划书), their planned visits with the visit report (客户拜访报告), and
customers' requests to visit the site (客户参观申请书): 004 客户拜访管理办法, 002 第二条."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class VisitPlanStatus(enum.StrEnum):
    DUE = "plan_due"            # asked; the salesperson has not handed it in
    REVIEW = "plan_review"      # handed in, with the superior (呈部门主管审核)
    APPROVED = "plan_approved"  # visits run; each needs its report
    CLOSED = "plan_closed"      # every visit reported


class VisitPlan(Base):
    """One salesperson's 拜访计划书 for one month (004 3.1)."""

    __tablename__ = "visit_plans"
    __table_args__ = (UniqueConstraint("salesperson_key", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    salesperson_key: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # 2027-01
    status: Mapped[str] = mapped_column(String(16), index=True)
    round: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))

    visits: Mapped[list[PlannedVisit]] = relationship(
        order_by="PlannedVisit.seq", back_populates="plan", cascade="all, delete-orphan")


class PlannedVisit(Base):
    """One visit of a plan; after its day, its 客户拜访报告 (004 3.4)."""

    __tablename__ = "planned_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id"), index=True)
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(32), unique=True)  # BF-202701-001-01
    visit_on: Mapped[date]
    customer: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None]

    plan: Mapped[VisitPlan] = relationship(back_populates="visits")


class SiteVisitStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class SiteVisitRequest(Base):
    """A customer's request to visit the site (客户参观申请书, 002 第三条) and its notice."""

    __tablename__ = "site_visit_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))   # the policy's site_visits key
    visitors: Mapped[int] = mapped_column(default=1)
    visit_at: Mapped[datetime]
    confirm_by: Mapped[datetime]    # the notice's deadline (002 第二条)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
