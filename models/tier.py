"""Tier assessment (客户等级评定, 000 D7): yearly figures, grade history, the assessments."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CustomerYearFigures(Base):
    """One customer's figures for one year, as imported (the 客户质量等级评估表's inputs)."""

    __tablename__ = "customer_year_figures"
    __table_args__ = (UniqueConstraint("customer_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    year: Mapped[int]
    sales: Mapped[float] = mapped_column(Float)            # 万元
    growth: Mapped[float] = mapped_column(Float)           # % over the year before
    overdue_payments: Mapped[int]                          # 货款回收: payments received late
    cooperation: Mapped[float] = mapped_column(Float)      # 合作状况, 0–100
    profit: Mapped[float | None] = mapped_column(Float)    # 万元, optional
    imported_at: Mapped[datetime]


class GradeChange(Base):
    """Every change of a customer's grade: who, when, why. Rows are only ever inserted."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    from_grade: Mapped[str | None] = mapped_column(String(8))
    to_grade: Mapped[str] = mapped_column(String(8))
    temporary: Mapped[bool] = mapped_column(default=False)
    changed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # assessment, a_application, temporary_review, import
    source: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]


class TierAssessment(Base):
    """One yearly assessment (DJ-2027): the proposals, pre-grades, meeting and publication."""

    __tablename__ = "tier_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # Unique across databases (numbers repeat in another one); keys the flow run on Prefect.
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    year: Mapped[int] = mapped_column(unique=True)
    figures_year: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pregrading, meeting, published
    # {customer name: {"customer_id", "territory", "grade" (current), "proposed", "scores"}}
    proposals: Mapped[dict] = mapped_column(JSON, default=dict)
    # {customer name: {"grade", "reason", "by", "source"}}: the final table after publication
    results: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    result_file: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


class TierCase(Base):
    """Between meetings: an A-class application (AA-…), an order exception (DE-…) or a
    temporary-grade review (GR-…), each decided through the approval mechanism."""

    __tablename__ = "tier_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(24))  # a_application, order_exception, temporary_review
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))  # open, approved, rejected
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
