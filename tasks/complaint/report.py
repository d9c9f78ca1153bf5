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
TREND_PERIODS = 8   # the trend chart: this period and the seven before it


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
        clocks = session.scalars(select(Clock).where(  # by round: the latest round wins
            Clock.case_number.in_(numbers), Clock.name == "handling").order_by(Clock.round))
        handling = {c.case_number: c for c in clocks} if numbers else {}
        span = end - start
        trend_from = end - span * TREND_PERIODS
        received = list(session.scalars(select(Complaint.received_at).where(
            Complaint.received_at >= trend_from, Complaint.received_at < end)))
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
        "kpis": kpis(complaints, handling),
        "handling_by_department": handling_by_department(complaints, handling),
        "trend": trend(received, end, span, tz),
    }


def kpis(complaints: list[Complaint], handling: dict[str, Clock]) -> dict:
    """The rates the documents name (000 D2 §5, 000 D4: 处理率 100%): handled of received,
    handled within the handling deadline of handled, satisfied of the customers asked. None
    where nothing was counted (no rate is better than a made-up one)."""
    handled = [c for c in complaints if c.handled_at]
    on_time = [c for c in handled if _on_time(handling.get(c.number))]
    asked = [c for c in complaints if c.satisfied is not None]
    return {"received": len(complaints), "handled": len(handled),
            "handling_rate": _rate(len(handled), len(complaints)),
            "on_time": len(on_time), "on_time_rate": _rate(len(on_time), len(handled)),
            "asked": len(asked),
            "satisfaction_rate": _rate(sum(1 for c in asked if c.satisfied), len(asked))}


def handling_by_department(complaints: list[Complaint], handling: dict[str, Clock]) -> dict:
    """{department: {on_time, late, open}}: handling against its deadline, per department."""
    counts: dict[str, Counter[str]] = {}
    for c in complaints:
        clock = handling.get(c.number)
        state = ("open" if not c.handled_at else "on_time" if _on_time(clock) else "late")
        counts.setdefault(c.department_key or "unrouted", Counter())[state] += 1
    return {dept: {k: n[k] for k in ("on_time", "late", "open")} for dept, n in counts.items()}


def trend(received: list[datetime], end: datetime, span: timedelta, tz: ZoneInfo) -> list[dict]:
    """Complaints received in each of the last :data:`TREND_PERIODS` periods, oldest first,
    each labelled with the local date it starts."""
    rows = []
    for back in range(TREND_PERIODS - 1, -1, -1):
        until = end - span * back
        since = until - span
        rows.append({"from": since.astimezone(tz).date().isoformat(),
                     "count": sum(1 for at in received if since <= at < until)})
    return rows


def _on_time(clock: Clock | None) -> bool:
    return clock is not None and clock.met_at is not None and clock.met_at <= clock.due_at


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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
