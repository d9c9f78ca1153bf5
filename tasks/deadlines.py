"""The working-day clock: the only source of "now" and the only deadline calculator.

000 D2 §3 counts handling in working days (三个工作日 / 七个工作日) and registration, reply
and feedback in hours (24小时). Working days follow the mainland calendar: public holidays
are off, make-up working days (调休) on weekends are on.

Where a year's holidays come from, best first: the admin's copy of the State Council's
schedule (``calendar.years`` in the policy), chinese-calendar (published years only), an
estimate from python-holidays' rule-based China list (the holidays without the 调休 make-up
days, which only the State Council's notice fixes), else weekends only. The last two warn.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from policy.base import CalendarPolicy, Duration

if TYPE_CHECKING:
    from policy.schema import Policy

log = logging.getLogger("kefu.calendar")

# Where a year's working days come from (what `kefu calendar check` prints).
SOURCE_POLICY = "policy schedule"
SOURCE_CHINESE_CALENDAR = "chinese-calendar"
SOURCE_ESTIMATE = "estimate (python-holidays)"
SOURCE_WEEKENDS = "weekends only"


class ClockError(ValueError):
    """KEFU_NOW is set but is not an ISO-8601 time."""


def now(tz: str | None = None) -> datetime:
    """The current time, timezone-aware in UTC. ``KEFU_NOW`` (ISO-8601) freezes it, so demos
    and tests can move a case through days in seconds; a naive value is read in ``tz``, by
    default the policy's time zone."""
    frozen = os.environ.get("KEFU_NOW")
    if not frozen:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(frozen)
    except ValueError:
        raise ClockError(f"KEFU_NOW: {frozen!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz or _policy_timezone()))
    return moment.astimezone(UTC)


def _policy_timezone() -> str:
    """The policy's time zone, for a naive KEFU_NOW (Asia/Shanghai while no policy loads)."""
    from policy.load import PolicyError, load_policy

    try:
        return load_policy().calendar.timezone
    except PolicyError:
        return "Asia/Shanghai"


# The zone every reader of a mainland company takes an unlabelled time to be in (北京时间).
_READERS_OFFSET = timedelta(hours=8)


def local_time(moment: datetime | str | None, tz: str = "Asia/Shanghai") -> str:
    """A time as people read it — every CLI line, message, error, card and page: to the minute
    in the policy's time zone, ``2027-01-19 10:00``. Readers take an unlabelled time for Beijing
    time (UTC+8), so a time in a zone that is not UTC+8 at that moment carries its offset:
    ``2027-01-19 10:00 UTC+09:00``. JSON keeps ISO-8601 with the offset. A naive time is UTC
    (what the database stores); None is ""."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(tz))
    text = f"{local:%Y-%m-%d %H:%M}"
    offset = local.utcoffset() or timedelta(0)
    if offset == _READERS_OFFSET:
        return text
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{text} UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


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
            estimate = estimated_holidays(day.year)
            if estimate is not None and day in estimate:
                return False
        return day.weekday() < 5

    def _warn_unknown_year(self, year: int) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        message = year_warning(self.policy, year)
        if message:
            self.warnings.append(message)
            log.warning(message)

    def add(self, start: datetime, span: Duration) -> datetime:
        """``start`` plus ``span``. Hours and minutes are plain time. Days and working days
        end at the policy's close of business of the Nth (working) day after the start day:
        7日内 from Monday morning is next Monday 18:00, not next Monday at the minute the
        complaint came in."""
        if span.unit == "minutes":
            return start + timedelta(minutes=span.amount)
        if span.unit == "hours":
            return start + timedelta(hours=span.amount)
        if span.amount == 0:
            return start
        day = start.astimezone(self.tz).date()
        if span.unit == "days":
            day += timedelta(days=span.amount)
        else:
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


_estimates: dict[int, frozenset[date] | None] = {}


def estimated_holidays(year: int) -> frozenset[date] | None:
    """The mainland's public holidays of ``year`` as python-holidays computes them from the
    rules (lunar dates included; no 调休 make-up working days), or None when it has none."""
    if year not in _estimates:
        try:
            import holidays
        except ImportError:  # an installation without it counts weekends only, and says so
            _estimates[year] = None
        else:
            days = frozenset(holidays.country_holidays("CN", years=year))
            _estimates[year] = days or None
    return _estimates[year]


def year_source(policy: CalendarPolicy, year: int) -> str:
    """Where the working days of ``year`` come from: one of the ``SOURCE_*`` names."""
    if year in policy.years:
        return SOURCE_POLICY
    if policy.region != "CN":
        return SOURCE_WEEKENDS
    if _chinese_calendar_is_workday(date(year, 1, 1)) is not None and \
            _chinese_calendar_is_workday(date(year, 12, 31)) is not None:
        return SOURCE_CHINESE_CALENDAR
    if estimated_holidays(year) is not None:
        return SOURCE_ESTIMATE
    return SOURCE_WEEKENDS


def year_warning(policy: CalendarPolicy, year: int) -> str | None:
    """What an admin must be told about ``year``'s working days, or None when they are known
    (or the policy asks for weekends only: ``region: none``)."""
    source = year_source(policy, year)
    how = f"enter the State Council's {year} schedule under calendar.years.{year} in the policy"
    if source == SOURCE_ESTIMATE:
        return (f"calendar: {year} is an ESTIMATE (python-holidays' rule-based China holidays, "
                f"without the 调休 make-up working days; chinese-calendar has no {year}); {how}")
    if source == SOURCE_WEEKENDS and policy.region == "CN":
        return (f"calendar: no holiday data for {year} (chinese-calendar lacks it and the "
                f"policy's calendar.years has no {year} entry); counting weekends only for "
                f"{year}; {how}")
    return None


def calendar_warnings(policy: Policy | CalendarPolicy, years: Iterable[int]) -> list[str]:
    """The warnings an admin should see for ``years`` (one line each, none for a year whose
    working days are known): for the inbox header, the case card, ``kefu init`` and
    ``kefu calendar check``. Pure: reads no database."""
    section = policy if isinstance(policy, CalendarPolicy) else policy.calendar
    return [w for w in (year_warning(section, y) for y in sorted(set(years))) if w]


def uncertain_years(policy: Policy | CalendarPolicy, moments: Iterable[datetime | None]
                    ) -> list[dict]:
    """``{"year", "source"}`` for each year of ``moments`` (read in the policy's zone) whose
    working days are only estimated or unknown — the years :func:`year_warning` warns about:
    what the case card of a case with deadlines there, and the inbox header, show."""
    section = policy if isinstance(policy, CalendarPolicy) else policy.calendar
    zone = ZoneInfo(section.timezone)
    return uncertain_of(section, {m.astimezone(zone).year for m in moments if m is not None})


def uncertain_of(policy: Policy | CalendarPolicy, years: Iterable[int]) -> list[dict]:
    """``{"year", "source"}`` for each of ``years`` whose working days are only estimated or
    unknown (the inbox header's list for admins)."""
    section = policy if isinstance(policy, CalendarPolicy) else policy.calendar
    return [{"year": y, "source": year_source(section, y)} for y in sorted(set(years))
            if year_warning(section, y)]


def years_to_check(today: date, furthest: date | None) -> range:
    """The years from ``today`` to a year after the furthest open deadline (at least next
    year): the ones whose holidays decide a deadline or one set soon."""
    last = max(today.year, furthest.year if furthest else today.year) + 1
    return range(today.year, last + 1)


_calendars: dict[str, WorkCalendar] = {}


def calendar_for(policy: CalendarPolicy) -> WorkCalendar:
    """One calendar per policy calendar section (so a year's warning is given once)."""
    key = policy.model_dump_json()
    if key not in _calendars:
        _calendars[key] = WorkCalendar(policy)
    return _calendars[key]
