"""Customer satisfaction surveys (顾客满意度调查) and their corrective and preventive actions
(纠正预防措施), 000 D4 §6."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SurveyRound(Base):
    """One yearly survey round (顾客满意度调查) and its analysis (调查分析报告)."""

    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime]
    # The imported answers' analysis: per aspect {answers, satisfied, rate}; the target it met.
    results: Mapped[dict | None] = mapped_column(JSON)
    responses: Mapped[int | None]
    target_percent: Mapped[float | None]
    below_target: Mapped[list | None] = mapped_column(JSON)
    imported_at: Mapped[datetime | None]
    imported_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


class CorrectiveAction(Base):
    """A CAPA (纠正预防措施) round of a survey below target: the owner's plan, the manager's
    approval, the due date and the check of its effect. A plan found not effective gets a next
    round."""

    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"), index=True)
    round: Mapped[int]
    aspects: Mapped[list] = mapped_column(JSON)
    owner_key: Mapped[str] = mapped_column(String(64))
    plan: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    effective: Mapped[bool | None]
