"""000 D2 §5: 营销办管理部 classifies and counts complaints for the weekly or monthly meeting."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Clock, Complaint, ScoreEntry
from models.db import session_scope
from policy.schema import Policy
from tasks.deadlines import now

PERIODS = {"weekly": 7, "monthly": 30}


def period_bounds(period: str, policy: Policy, end: datetime | None = None) -> tuple[datetime, datetime]:
    """The last 7 (weekly) or 30 (monthly) days up to ``end``, in the policy's time zone."""
    if period not in PERIODS:
        raise ValueError(f"period: {period!r} is not one of {', '.join(PERIODS)}")
    end = end or now()
    return end - timedelta(days=PERIODS[period]), end


def complaint_report(policy: Policy, period: str, end: datetime | None = None) -> dict:
    start, end = period_bounds(period, policy, end)
    with session_scope() as session:
        complaints = session.scalars(select(Complaint).where(
            Complaint.received_at >= start, Complaint.received_at < end)).all()
        numbers = [c.number for c in complaints]
        late = set(session.scalars(select(Clock.case_number).where(
            Clock.case_number.in_(numbers), Clock.escalation_level > 0))) if numbers else set()
        scores = session.scalars(select(ScoreEntry).where(
            ScoreEntry.case_number.in_(numbers))).all() if numbers else []
    handled = [(c.handled_at - c.received_at).total_seconds() / 3600
               for c in complaints if c.handled_at]
    points_by_department: Counter[str] = Counter()
    points_by_person: Counter[str] = Counter()
    for entry in scores:
        points_by_department[entry.department_key] += entry.points
        if entry.person_key:
            points_by_person[entry.person_key] += entry.points
    tz = ZoneInfo(policy.calendar.timezone)
    return {
        "period": period,
        "from": start.astimezone(tz).isoformat(), "to": end.astimezone(tz).isoformat(),
        "total": len(complaints),
        "by_category": dict(Counter(c.category or "unclassified" for c in complaints)),
        "by_department": dict(Counter(c.department_key or "unrouted" for c in complaints)),
        "by_status": dict(Counter(c.status for c in complaints)),
        "overdue": len(late),
        "average_handling_hours": round(sum(handled) / len(handled), 2) if handled else None,
        "points_by_department": dict(points_by_department),
        "points_by_person": dict(points_by_person),
    }


def report_rows(report: dict) -> list[tuple[str, str, str]]:
    """The report flattened to (section, key, value) rows, for tables and CSV."""
    rows = [("summary", "total", str(report["total"])),
            ("summary", "overdue", str(report["overdue"])),
            ("summary", "average_handling_hours",
             "—" if report["average_handling_hours"] is None else str(report["average_handling_hours"]))]
    for section in ("by_category", "by_department", "by_status", "points_by_department",
                    "points_by_person"):
        rows += [(section, key, str(value)) for key, value in sorted(report[section].items())]
    return rows
