"""The working-day clock: the only source of "now" and the only deadline calculator.

000 D2 §3 counts handling in working days (三个工作日 / 七个工作日) and registration, reply
and feedback in hours (24小时). Working days follow the mainland calendar: public holidays
are off, make-up working days (调休) on weekends are on.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from policy.base import CalendarPolicy, Duration

log = logging.getLogger("kefu.calendar")


class ClockError(ValueError):
    """KEFU_NOW is set but is not an ISO-8601 time."""


def now(tz: str = "Asia/Shanghai") -> datetime:
    """The current time, timezone-aware in UTC. ``KEFU_NOW`` (ISO-8601) freezes it, so demos
    and tests can move a case through days in seconds; a naive value is read in ``tz``."""
    frozen = os.environ.get("KEFU_NOW")
    if not frozen:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(frozen)
    except ValueError:
        raise ClockError(f"KEFU_NOW: {frozen!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


class WorkCalendar:
    """Which days are working days, per the policy's calendar section."""

    def __init__(self, policy: CalendarPolicy):
        self.policy = policy
        self.tz = ZoneInfo(policy.timezone)
        self._warned: set[int] = set()
        self.warnings: list[str] = []

    def is_workday(self, day: date) -> bool:
        schedule = self.policy.years.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            if day in schedule.holidays:
                return False
            return day.weekday() < 5
        if self.policy.region == "CN":
            known = _chinese_calendar_is_workday(day)
            if known is not None:
                return known
            self._warn_unknown_year(day.year)
        return day.weekday() < 5

    def _warn_unknown_year(self, year: int) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        message = (
            f"calendar: no holiday data for {year} (chinese-calendar lacks it and the policy's "
            f"calendar.years has no {year} entry); counting weekends only for {year}"
        )
        self.warnings.append(message)
        log.warning(message)

    def add(self, start: datetime, span: Duration) -> datetime:
        """``start`` plus ``span``. Working days end at the policy's close of business on
        the Nth working day after the start day."""
        if span.unit == "minutes":
            return start + timedelta(minutes=span.amount)
        if span.unit == "hours":
            return start + timedelta(hours=span.amount)
        if span.unit == "days":
            return start + timedelta(days=span.amount)
        if span.amount == 0:
            return start
        day = start.astimezone(self.tz).date()
        counted = 0
        while counted < span.amount:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        close = datetime.combine(day, self.policy.workday_end, tzinfo=self.tz)
        return close.astimezone(UTC)


def _chinese_calendar_is_workday(day: date) -> bool | None:
    """chinese-calendar's answer, or None for a year it has no data for (it raises)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


_calendars: dict[str, WorkCalendar] = {}


def calendar_for(policy: CalendarPolicy) -> WorkCalendar:
    """One calendar per policy calendar section (so a year's warning is given once)."""
    key = policy.model_dump_json()
    if key not in _calendars:
        _calendars[key] = WorkCalendar(policy)
    return _calendars[key]
