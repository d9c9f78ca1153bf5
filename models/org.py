"""Departments and people, synchronised from the policy's organisation by ``kefu init``."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Department(Base):
    __tablename__ = "departments"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    head_key: Mapped[str | None] = mapped_column(String(64))


class Person(Base):
    __tablename__ = "people"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(128), default="")
    department_key: Mapped[str] = mapped_column(ForeignKey("departments.key"))
    superior_key: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
