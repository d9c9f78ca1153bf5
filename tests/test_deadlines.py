"""The working-day clock (000 D2 §3): working days follow the mainland calendar, hours do not."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from policy.base import CalendarPolicy, Duration, YearSchedule
from tasks.deadlines import ClockError, WorkCalendar, now

SHANGHAI = ZoneInfo("Asia/Shanghai")
THREE_WORKING_DAYS = Duration(3, "working_days")
SEVEN_WORKING_DAYS = Duration(7, "working_days")
ONE_WORKING_DAY = Duration(1, "working_days")


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar(CalendarPolicy())


def test_the_2026_holidays_are_as_chinese_calendar_publishes_them():
    """The literal dates below are derived from this table."""
    off = [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]  # 中秋节
    off += [date(2026, 10, d) for d in range(1, 8)]  # 国庆节
    make_up = [date(2026, 9, 20), date(2026, 10, 10)]  # 调休: Sunday and Saturday worked
    assert not any(chinese_calendar.is_workday(d) for d in off)
    assert all(chinese_calendar.is_workday(d) for d in make_up)
    assert chinese_calendar.is_workday(date(2026, 9, 30))
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert not chinese_calendar.is_workday(date(2026, 10, 11))


def test_calendar_agrees_with_chinese_calendar_through_autumn_2026(calendar):
    day = date(2026, 9, 1)
    while day < date(2026, 11, 1):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_handling_due_at_close_of_business_on_the_third_working_day_over_a_weekend(calendar):
    # Received Fri 16:00; Sat and Sun are off; Mon, Tue, Wed are the three working days.
    due = calendar.add(shanghai(2026, 11, 27, 16, 0), THREE_WORKING_DAYS)
    assert due == shanghai(2026, 12, 2, 18, 0)
    assert due.tzinfo == UTC


def test_handling_due_skips_mid_autumn_festival(calendar):
    # Received Thu 24 Sept; 25–27 Sept are 中秋 holidays; Mon 28, Tue 29, Wed 30 count.
    due = calendar.add(shanghai(2026, 9, 24, 9, 30), THREE_WORKING_DAYS)
    assert due == shanghai(2026, 9, 30, 18, 0)


def test_handling_due_skips_national_day_holiday_and_counts_the_make_up_saturday(calendar):
    # Received Wed 30 Sept; 1–7 Oct off; Thu 8, Fri 9 and make-up Sat 10 Oct count.
    due = calendar.add(shanghai(2026, 9, 30, 10, 0), THREE_WORKING_DAYS)
    assert due == shanghai(2026, 10, 10, 18, 0)


def test_special_case_seven_working_days_spans_national_day(calendar):
    # Oct 8, 9, 10 (Sat, 调休), 12, 13, 14, 15; Sun 11 Oct is off.
    due = calendar.add(shanghai(2026, 9, 30, 10, 0), SEVEN_WORKING_DAYS)
    assert due == shanghai(2026, 10, 15, 18, 0)


def test_complaint_received_during_the_holiday_is_due_after_it(calendar):
    due = calendar.add(shanghai(2026, 10, 2, 11, 0), ONE_WORKING_DAY)
    assert due == shanghai(2026, 10, 8, 18, 0)


def test_make_up_sunday_before_mid_autumn_counts_as_a_working_day(calendar):
    # Sat 19 Sept is off; Sun 20 Sept is a 调休 working day.
    due = calendar.add(shanghai(2026, 9, 18, 17, 0), ONE_WORKING_DAY)
    assert due == shanghai(2026, 9, 20, 18, 0)


def test_working_days_count_from_the_shanghai_day_not_the_utc_day(calendar):
    # 00:30 Saturday in Shanghai is still Friday in UTC; the count starts after Saturday.
    due = calendar.add(shanghai(2026, 11, 28, 0, 30), ONE_WORKING_DAY)
    assert due == shanghai(2026, 11, 30, 18, 0)


def test_reply_within_24_hours_is_plain_hours_across_a_weekend(calendar):
    due = calendar.add(shanghai(2026, 11, 27, 16, 0), Duration(24, "hours"))
    assert due == shanghai(2026, 11, 28, 16, 0)


def test_reply_within_24_hours_ignores_the_national_day_holiday(calendar):
    due = calendar.add(shanghai(2026, 9, 30, 10, 0), Duration(24, "hours"))
    assert due == shanghai(2026, 10, 1, 10, 0)


def test_calendar_days_end_at_close_of_business_of_the_last_day(calendar):
    # 7日内 from Wed 30 Sept 10:00 is Wed 7 Oct at close of business, not at 10:00.
    start = shanghai(2026, 9, 30, 10, 0)
    assert calendar.add(start, Duration(7, "days")) == shanghai(2026, 10, 7, 18, 0)
    # A case filed late in the evening does not fall due at 23:33 on New Year's Day.
    assert calendar.add(shanghai(2026, 12, 2, 23, 33), Duration(30, "days")) == shanghai(
        2027, 1, 1, 18, 0)


def test_a_week_is_seven_calendar_days_to_close_of_business(calendar):
    assert calendar.add(shanghai(2026, 11, 23, 10, 0), Duration.parse("1 week")) == shanghai(
        2026, 11, 30, 18, 0)


def test_minutes_are_plain_arithmetic(calendar):
    start = shanghai(2026, 9, 30, 10, 0)
    assert calendar.add(start, Duration(90, "minutes")) == shanghai(2026, 9, 30, 11, 30)


def test_zero_calendar_days_is_the_start_itself(calendar):
    start = shanghai(2026, 12, 2, 10, 0)
    assert calendar.add(start, Duration(0, "days")) == start


def test_zero_working_days_is_the_start_itself(calendar):
    start = shanghai(2026, 12, 2, 18, 0)
    assert calendar.add(start, Duration(0, "working_days")) == start


def test_workday_end_follows_the_policy():
    late = WorkCalendar(CalendarPolicy(workday_end="17:30"))
    assert late.add(shanghai(2026, 11, 27, 16, 0), THREE_WORKING_DAYS) == shanghai(
        2026, 12, 2, 17, 30)


def test_region_none_counts_weekends_only():
    plain = WorkCalendar(CalendarPolicy(region="none"))
    # 1 Oct is National Day, but without a region it is an ordinary Thursday.
    assert plain.add(shanghai(2026, 9, 30, 10, 0), ONE_WORKING_DAY) == shanghai(2026, 10, 1, 18, 0)
    assert plain.warnings == []


# --- years chinese-calendar does not know -----------------------------------------------

def test_2027_is_estimated_with_a_warning(calendar, caplog):
    with caplog.at_level(logging.WARNING, logger="kefu.calendar"):
        due = calendar.add(shanghai(2027, 1, 8, 10, 0), THREE_WORKING_DAYS)
    # Fri 8 Jan 2027: Mon 11, Tue 12, Wed 13 (no holiday in the estimate).
    assert due == shanghai(2027, 1, 13, 18, 0)
    assert len(calendar.warnings) == 1
    assert "2027" in calendar.warnings[0]
    assert "ESTIMATE" in calendar.warnings[0]
    assert "calendar.years" in calendar.warnings[0]
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_without_an_estimate_2027_counts_weekends_only_with_a_warning(calendar, monkeypatch):
    import tasks.deadlines

    monkeypatch.setattr(tasks.deadlines, "estimated_holidays", lambda year: None)
    # Thu 31 Dec 2026 + 1 working day: Fri 1 Jan 2027 counts as an ordinary working day.
    due = calendar.add(shanghai(2026, 12, 31, 15, 0), ONE_WORKING_DAY)
    assert due == shanghai(2027, 1, 1, 18, 0)
    assert len(calendar.warnings) == 1
    assert "weekends only" in calendar.warnings[0] and "calendar.years" in calendar.warnings[0]


def test_unknown_year_warning_is_given_once_per_year(calendar):
    calendar.add(shanghai(2027, 1, 8, 10, 0), THREE_WORKING_DAYS)
    calendar.add(shanghai(2027, 3, 1, 10, 0), SEVEN_WORKING_DAYS)
    assert len(calendar.warnings) == 1
    calendar.add(shanghai(2028, 3, 1, 10, 0), ONE_WORKING_DAY)
    assert len(calendar.warnings) == 2
    assert "2028" in calendar.warnings[1]


def test_counting_into_2027_from_the_last_day_of_2026_skips_the_estimated_new_year(calendar):
    # Without a 2027 schedule, 1 Jan 2027 (a Friday) is off by the estimate; Mon 4 Jan counts.
    due = calendar.add(shanghai(2026, 12, 31, 15, 0), ONE_WORKING_DAY)
    assert due == shanghai(2027, 1, 4, 18, 0)
    assert len(calendar.warnings) == 1


def test_admin_schedule_for_2027_skips_its_holiday_and_counts_its_make_up_saturday():
    calendar = WorkCalendar(CalendarPolicy(years={2027: YearSchedule(
        holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 2)])}))
    # Thu 31 Dec 2026 → Fri 1 Jan holiday skipped → Sat 2 Jan is a listed working day.
    assert calendar.add(shanghai(2026, 12, 31, 15, 0), ONE_WORKING_DAY) == shanghai(
        2027, 1, 2, 18, 0)
    # Then Sun 3 Jan is off and Mon 4 Jan is an ordinary working day.
    assert calendar.add(shanghai(2026, 12, 31, 15, 0), Duration(2, "working_days")) == shanghai(
        2027, 1, 4, 18, 0)
    assert calendar.warnings == []


def test_admin_schedule_holiday_without_make_up_day_is_skipped():
    calendar = WorkCalendar(CalendarPolicy(years={2027: YearSchedule(
        holidays=[date(2027, 1, 1)])}))
    assert calendar.add(shanghai(2026, 12, 31, 15, 0), ONE_WORKING_DAY) == shanghai(
        2027, 1, 4, 18, 0)
    assert not calendar.is_workday(date(2027, 1, 2))


def test_admin_schedule_overrides_chinese_calendar_for_a_known_year():
    calendar = WorkCalendar(CalendarPolicy(years={2026: YearSchedule(
        holidays=[date(2026, 11, 30)])}))
    assert calendar.add(shanghai(2026, 11, 27, 16, 0), THREE_WORKING_DAYS) == shanghai(
        2026, 12, 3, 18, 0)


# --- now() and KEFU_NOW -----------------------------------------------------------------

def test_now_is_the_real_time_in_utc_without_kefu_now(monkeypatch):
    monkeypatch.delenv("KEFU_NOW", raising=False)
    moment = now()
    assert moment.tzinfo == UTC
    assert abs(moment - datetime.now(UTC)) < timedelta(seconds=5)


def test_naive_kefu_now_is_read_in_shanghai(monkeypatch):
    monkeypatch.setenv("KEFU_NOW", "2026-11-27T16:00:00")
    assert now() == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert now().tzinfo == UTC


def test_naive_kefu_now_is_read_in_the_given_zone(monkeypatch):
    monkeypatch.setenv("KEFU_NOW", "2026-11-27T16:00:00")
    assert now("Europe/London") == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_aware_kefu_now_keeps_its_offset(monkeypatch):
    monkeypatch.setenv("KEFU_NOW", "2026-11-27T16:00:00+00:00")
    assert now() == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_bad_kefu_now_is_a_clock_error(monkeypatch):
    monkeypatch.setenv("KEFU_NOW", "next tuesday")
    with pytest.raises(ClockError, match="KEFU_NOW"):
        now()
