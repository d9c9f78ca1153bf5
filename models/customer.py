"""Customers (客户基本信息表)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("name", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(256))
    grade: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    # 000 D9: registered in the 客户基本信息表 (within 5 working days of becoming a customer).
    registered_at: Mapped[datetime | None]
    # 000 D7: the sales territory whose section chief pre-grades this customer.
    territory: Mapped[str | None] = mapped_column(String(64))
    # 000 D7: a new customer's grade is temporary and reviewed after 6 months of cooperation.
    grade_temporary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    grade_review_due_at: Mapped[datetime | None]
