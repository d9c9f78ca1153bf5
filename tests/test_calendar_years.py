"""The calendar after 2026 (issue 21 §5): chinese-calendar 1.11 stops at 2026, so 2027 is
estimated from python-holidays' China list (Spring Festival off, no 调休) and says so, until
the admin enters the State Council's schedule under calendar.years; admins see which years
are estimates in `kefu init` and `kefu calendar check`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import yaml

from policy.base import CalendarPolicy, Duration, YearSchedule
from policy.load import DEFAULT_POLICY
from tasks.deadlines import (
    SOURCE_CHINESE_CALENDAR,
    SOURCE_ESTIMATE,
    SOURCE_POLICY,
    SOURCE_WEEKENDS,
    WorkCalendar,
    calendar_warnings,
    year_source,
    years_to_check,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPRING_FESTIVAL_2027 = [date(2027, 2, d) for d in (5, 8, 9, 10)]  # the weekdays of 5–10 Feb


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_spring_festival_2027_days_are_not_working_days_by_the_estimate():
    calendar = WorkCalendar(CalendarPolicy())
    assert not any(calendar.is_workday(d) for d in SPRING_FESTIVAL_2027)
    assert calendar.is_workday(date(2027, 2, 11))
    # Received Thu 4 Feb 2027: 5–10 Feb are off; Thu 11, Fri 12 and Mon 15 Feb count.
    due = calendar.add(shanghai(2027, 2, 4, 10, 0), Duration(3, "working_days"))
    assert due == shanghai(2027, 2, 15, 18, 0)


def test_the_estimate_is_marked_as_an_estimate():
    section = CalendarPolicy()
    assert year_source(section, 2026) == SOURCE_CHINESE_CALENDAR
    assert year_source(section, 2027) == SOURCE_ESTIMATE == "estimate (python-holidays)"
    [warning] = calendar_warnings(section, [2026, 2027])
    assert "2027 is an ESTIMATE" in warning and "调休" in warning
    assert "calendar.years.2027" in warning


def test_a_policy_schedule_wins_over_the_estimate():
    # A made-up State Council notice: the festival a week later, Sunday 7 Feb worked (调休).
    schedule = YearSchedule(holidays=[date(2027, 2, d) for d in range(11, 18)],
                            workdays=[date(2027, 2, 7)])
    section = CalendarPolicy(years={2027: schedule})
    calendar = WorkCalendar(section)
    assert calendar.is_workday(date(2027, 2, 7)) and calendar.is_workday(date(2027, 2, 8))
    assert not calendar.is_workday(date(2027, 2, 11))
    assert year_source(section, 2027) == SOURCE_POLICY
    assert calendar_warnings(section, [2026, 2027]) == []
    calendar.add(shanghai(2027, 2, 4, 10, 0), Duration(3, "working_days"))
    assert calendar.warnings == []


def test_region_none_is_weekends_only_and_nothing_to_warn_about():
    section = CalendarPolicy(region="none")
    assert year_source(section, 2027) == SOURCE_WEEKENDS
    assert calendar_warnings(section, [2027]) == []


def test_the_years_to_check_run_to_a_year_after_the_furthest_open_deadline():
    assert list(years_to_check(date(2026, 12, 2), None)) == [2026, 2027]
    assert list(years_to_check(date(2026, 12, 2), date(2027, 12, 1))) == [2026, 2027, 2028]


def _policy_with_2028_schedule(tmp_path) -> str:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["calendar"]["years"] = {2028: {"holidays": ["2028-01-01"], "workdays": []}}
    path = tmp_path / "policy-2028.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def _open_clock_due(monkeypatch, env: dict, due_at: datetime) -> None:
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.clocks import start_clock

    monkeypatch.setenv("KEFU_DATABASE_URL", env["KEFU_DATABASE_URL"])
    with session_scope() as session:
        start_clock(session, load_policy(DEFAULT_POLICY), process="complaint",
                    case_number="TS-2026-000900", name="handling", owner="chen.qe", due_at=due_at)


def test_kefu_calendar_check_lists_each_year_to_the_furthest_open_deadline_and_its_source(
        offline_kefu, tmp_path, monkeypatch):
    offline_kefu.env["KEFU_POLICY"] = _policy_with_2028_schedule(tmp_path)
    _open_clock_due(monkeypatch, offline_kefu.env, datetime(2028, 3, 1, 10, tzinfo=UTC))
    done = offline_kefu.run("calendar", "check", now="2026-12-02T10:00")
    assert done.stdout.splitlines() == [
        "2026  chinese-calendar",
        "2027  estimate (python-holidays)",
        "2028  policy schedule",
        "2029  estimate (python-holidays)",
    ]
    assert "warning: calendar: 2027 is an ESTIMATE" in done.stderr
    assert "warning: calendar: 2029 is an ESTIMATE" in done.stderr
    assert "2028" not in done.stderr
    report = json.loads(offline_kefu.run("calendar", "check", "--json",
                                         now="2026-12-02T10:00").stdout)
    assert [(y["year"], y["source"]) for y in report["years"]][:2] == [
        (2026, "chinese-calendar"), (2027, "estimate (python-holidays)")]
    assert len(report["warnings"]) == 2


def test_kefu_init_shows_that_2027_is_an_estimate(offline_kefu):
    done = offline_kefu.run("init", now="2026-12-02T10:00")
    assert "warning: calendar: 2027 is an ESTIMATE" in done.stderr
    assert "calendar.years.2027" in done.stderr
    assert "calendar: 2026" not in done.stderr  # chinese-calendar knows 2026: nothing to say
