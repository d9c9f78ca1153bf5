"""The statistics' rates (000 D2 §5) as plain rules over complaints and their handling clocks,
no database: handled of received, on time of handled, satisfied of those asked; nothing
counted gives no rate rather than a made-up one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import Clock, Complaint
from tasks.complaint.report import handling_by_department, kpis, trend
from tasks.complaint.report_views import kpi_markdown

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def _case(number: str, department: str, handled_after: float | None, due_after: float,
          satisfied: bool | None = None) -> tuple[Complaint, Clock]:
    handled = T0 + timedelta(hours=handled_after) if handled_after is not None else None
    complaint = Complaint(number=number, department_key=department, received_at=T0,
                          handled_at=handled, satisfied=satisfied)
    clock = Clock(case_number=number, name="handling", due_at=T0 + timedelta(hours=due_after),
                  met_at=handled)
    return complaint, clock


def test_rates_count_handled_on_time_and_satisfied_customers():
    cases = [_case("A", "quality", 10, 24, satisfied=True), _case("B", "quality", 30, 24, False),
             _case("C", "ops_office", None, 24)]
    complaints, clocks = [c for c, _ in cases], {k.case_number: k for _, k in cases}
    rates = kpis(complaints, clocks)
    assert (rates["received"], rates["handled"], rates["on_time"]) == (3, 2, 1)
    assert rates["handling_rate"] == 0.6667 and rates["on_time_rate"] == 0.5
    assert rates["satisfaction_rate"] == 0.5
    assert handling_by_department(complaints, clocks) == {
        "quality": {"on_time": 1, "late": 1, "open": 0},
        "ops_office": {"on_time": 0, "late": 0, "open": 1}}


def test_nothing_counted_gives_no_rate():
    rates = kpis([], {})
    assert rates["handling_rate"] is None and rates["satisfaction_rate"] is None
    report = {"kpis": rates, "overdue": 0, "average_handling_hours": None}
    summary = kpi_markdown(report, "zh-CN", "http://inbox/reports/complaints?period=weekly")
    assert "| 处理率（目标 100%） | — |" in summary
    assert summary.endswith("http://inbox/reports/complaints?period=weekly")


def test_the_trend_counts_each_of_the_last_eight_periods_oldest_first():
    from zoneinfo import ZoneInfo

    end = T0 + timedelta(days=1)
    received = [T0, T0 - timedelta(days=8), T0 - timedelta(days=8, hours=1), T0 - timedelta(days=90)]
    rows = trend(received, end, timedelta(days=7), ZoneInfo("Asia/Shanghai"))
    assert len(rows) == 8 and [r["count"] for r in rows][-2:] == [2, 1]
    assert sum(r["count"] for r in rows) == 3           # 90 days ago is outside the chart
    assert rows[-1]["from"] == "2026-11-24"              # local dates
