"""The rules of 客户拜访管理办法 (004) and 客户参观接待管理制度 (002 第二条), as plain functions
of their inputs: no database, no Prefect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policy.base import Duration
from policy.visit.schema import VisitPolicy
from tasks.deadlines import WorkCalendar

PROCESS = "visit"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class VisitError(ValueError):
    """Input that cannot be accepted; ``field`` names the bad option. Nothing was written."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}")
        self.field = field


@dataclass(frozen=True)
class PlannedVisit:
    """One line of a 拜访计划书: the day, the customer, the purpose (004 3.1 (3) 确定拜访对象)."""

    on: date
    customer: str
    purpose: str


def parse_month(text: str) -> tuple[int, int]:
    """``2027-01`` → (2027, 1)."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise VisitError("month", f"{text!r} is not a month; write YYYY-MM, e.g. 2027-01")
    return int(match[1]), int(match[2])


def next_month(today: date) -> tuple[int, int]:
    """The month a plan made now is for: 004 3.1 每月底提出下月客户拜访计划书."""
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def plan_due_at(rules: VisitPolicy, year: int, month: int, work: WorkCalendar) -> datetime:
    """When the plan for (year, month) is due: 004 3.1 每月底提出下月客户拜访计划书 — the
    policy's day (``plan_due_day``, default the last) of the month before, at close of business."""
    before = date(year, month, 1) - timedelta(days=1)
    day = before.day if rules.plan_due_day == "last" else int(rules.plan_due_day)
    due = datetime.combine(before.replace(day=day), work.policy.workday_end, tzinfo=work.tz)
    return due.astimezone(ZoneInfo("UTC"))


def parse_visit(text: str, year: int, month: int) -> PlannedVisit:
    """``2027-01-05,华东铸造厂,了解需求`` (a full-width comma works too): a visit in the plan's
    month, to a named customer."""
    parts = [p.strip() for p in re.split(r"[,，]", text, maxsplit=2)]
    if len(parts) < 2 or not parts[1]:
        raise VisitError("visit", f"{text!r}: write DATE,CUSTOMER[,PURPOSE], e.g. "
                                  f"{year}-{month:02d}-05,华东铸造厂,了解需求")
    try:
        on = date.fromisoformat(parts[0])
    except ValueError:
        raise VisitError("visit", f"{parts[0]!r} is not a date (YYYY-MM-DD)") from None
    if (on.year, on.month) != (year, month):
        raise VisitError("visit", f"{on} is not in the plan's month {year}-{month:02d}")
    if len(parts[1]) > 128:
        raise VisitError("visit", "a customer's name is at most 128 characters")
    return PlannedVisit(on, parts[1], parts[2] if len(parts) > 2 else "")


def check_plan(rules: VisitPolicy, visits: list[PlannedVisit]) -> list[PlannedVisit]:
    """A plan names at least one visit and no more than the policy's page holds."""
    if not visits:
        raise VisitError("visit", "a plan names at least one visit (--visit DATE,CUSTOMER[,PURPOSE])")
    if len(visits) > rules.max_visits_per_plan:
        raise VisitError("visit", f"{len(visits)} visits: a plan holds at most "
                                  f"{rules.max_visits_per_plan}")
    return sorted(visits, key=lambda v: v.on)


def report_opens_at(on: date, work: WorkCalendar) -> datetime:
    """A visit's report is asked from the start of the visit's day."""
    return datetime.combine(on, time(0, 0), tzinfo=work.tz).astimezone(ZoneInfo("UTC"))


def report_due_at(rules: VisitPolicy, on: date, work: WorkCalendar) -> datetime:
    """004 3.4 (1): 拜访应于两天内提出客户拜访报告 — ``report_due`` after the visit's day, by the
    one working-day clock: "2 working days" after a Friday visit ends on Tuesday at close of
    business, and holidays are skipped; "2 days" would count calendar days."""
    return work.add(report_opens_at(on, work), rules.report_due)


def confirm_by(rules: VisitPolicy, kind: str, visit_at: datetime, work: WorkCalendar) -> datetime:
    """002 第二条: the latest time a site visit is confirmed — its notice before the visit.
    重点/团体客户 参观前三天, 普通客户 参观前一天, 临时参观 参观前一小时. Hours are clock hours;
    days are calendar days at the visit's time of day (参观前三天 says no 工作日); working days, if
    a policy says so, step back over working days only, at the visit's time of day."""
    notice = site_kind(rules, kind).notice
    return back_from(visit_at, notice, work)


def back_from(moment: datetime, span: Duration, work: WorkCalendar) -> datetime:
    """``moment`` less ``span``: the mirror of WorkCalendar.add for notice given ahead."""
    if span.unit == "minutes":
        return moment - timedelta(minutes=span.amount)
    if span.unit == "hours":
        return moment - timedelta(hours=span.amount)
    local = moment.astimezone(work.tz)
    if span.unit == "days":
        return (local - timedelta(days=span.amount)).astimezone(ZoneInfo("UTC"))
    counted, day = 0, local.date()
    while counted < span.amount:
        day -= timedelta(days=1)
        if work.is_workday(day):
            counted += 1
    return datetime.combine(day, local.timetz()).astimezone(ZoneInfo("UTC"))


def site_kind(rules: VisitPolicy, kind: str):  # noqa: ANN201  (a SiteVisitKind)
    if kind not in rules.site_visits:
        raise VisitError("kind", f"{kind!r} is not one of {', '.join(rules.site_visits)}")
    return rules.site_visits[kind]


def check_request_time(rules: VisitPolicy, kind: str, visit_at: datetime, moment: datetime,
                       work: WorkCalendar) -> datetime:
    """A request that can still be confirmed in time: returns its confirm-by time. One whose
    notice has already run out is refused (002 第二条: 未经核准的参观客户，一律拒绝参观), with
    the kind that still fits, if any."""
    if visit_at <= moment:
        raise VisitError("at", "the visit's time has passed")
    deadline = confirm_by(rules, kind, visit_at, work)
    if deadline >= moment:
        return deadline
    fits = [k for k in rules.site_visits if confirm_by(rules, k, visit_at, work) >= moment]
    hint = f"; with less notice it can only be {' or '.join(fits)}" if fits else ""
    label = site_kind(rules, kind).label
    raise VisitError("at", f"a {kind} visit ({label}) needs notice of {rules.site_visits[kind].notice}: "
                           f"it had to be confirmed by {deadline.astimezone(work.tz):%Y-%m-%d %H:%M}"
                           f"{hint}")


def plan_number(prefix: str, year: int, month: int, sequence: int) -> str:
    return f"{prefix}-{year}{month:02d}-{sequence:03d}"
