"""The visit rules without a database or Prefect: the 2-day visit report across weekends and
holidays (004 3.4), the site visit's notice by kind (002 第二条), the plan's month-end due day
(004 3.1), the plan's lines; and every visit message renders in every locale."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from notifications.render import LOCALES
from notifications.render import render as _render
from policy.base import CalendarPolicy, Duration
from tasks.deadlines import WorkCalendar, calendar_for, local_time
from tasks.text import simplified
from tasks.visit import rules
from tasks.visit.rules import VisitError

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def shanghai(moment: datetime) -> str:
    return local_time(moment, "Asia/Shanghai")


@pytest.fixture()
def visit(policy):
    return policy.visit


@pytest.fixture()
def work(policy) -> WorkCalendar:
    return calendar_for(policy.calendar)


# --- 004 3.4: 拜访应于两天内提出客户拜访报告 ----------------------------------------------

@pytest.mark.parametrize(("visited", "due"), [
    (date(2026, 12, 2), "2026-12-04 18:00"),   # Wednesday → Friday
    (date(2026, 12, 4), "2026-12-08 18:00"),   # Friday → over the weekend to Tuesday
    (date(2026, 12, 5), "2026-12-08 18:00"),   # a Saturday visit: Monday, Tuesday
    (date(2026, 9, 30), "2026-10-09 18:00"),   # before National Day: 1–7 October are off
    (date(2026, 10, 9), "2026-10-12 18:00"),   # Saturday 10 October is a make-up working day (调休)
])
def test_a_visit_report_is_due_two_working_days_after_the_visit(visit, work, visited, due):
    assert shanghai(rules.report_due_at(visit, visited, work)) == due


def test_a_holiday_in_the_policys_own_schedule_moves_the_report(visit):
    work = WorkCalendar(CalendarPolicy(years={2027: {"holidays": [date(2027, 1, 1)]}}))
    # Thursday 31 December: Friday is New Year's Day, then the weekend: Monday and Tuesday.
    assert shanghai(rules.report_due_at(visit, date(2026, 12, 31), work)) == "2027-01-05 18:00"


def test_calendar_days_when_the_policy_says_days(visit, work):
    calendar_days = visit.model_copy(update={"report_due": Duration(2, "days")})
    assert shanghai(rules.report_due_at(calendar_days, date(2026, 12, 4), work)) == "2026-12-06 18:00"


def test_the_report_opens_on_the_visits_day(work):
    assert shanghai(rules.report_opens_at(date(2026, 12, 4), work)) == "2026-12-04 00:00"


# --- 002 第二条: notice of 3 days / 1 day / 1 hour by kind --------------------------------

@pytest.mark.parametrize(("kind", "confirm_by"), [
    ("key", "2026-12-11 10:00"),        # 参观前三天: calendar days, the weekend not skipped
    ("group", "2026-12-11 10:00"),
    ("ordinary", "2026-12-13 10:00"),   # 参观前一天: a Sunday is a day too
    ("temporary", "2026-12-14 09:00"),  # 参观前一小时: a clock hour
])
def test_a_site_visit_is_confirmed_its_notice_before_the_visit(visit, work, kind, confirm_by):
    monday_visit = at("2026-12-14T10:00")
    assert shanghai(rules.confirm_by(visit, kind, monday_visit, work)) == confirm_by


def test_an_hour_of_notice_crosses_midnight_as_clock_time(visit, work):
    assert shanghai(rules.confirm_by(visit, "temporary", at("2026-12-14T00:30"), work)) == \
        "2026-12-13 23:30"


def test_working_days_of_notice_step_back_over_the_weekend(visit, work):
    kinds = {**visit.site_visits, "key": visit.site_visits["key"].model_copy(
        update={"notice": Duration(1, "working_days")})}
    strict = visit.model_copy(update={"site_visits": kinds})
    assert shanghai(rules.confirm_by(strict, "key", at("2026-12-14T10:00"), work)) == "2026-12-11 10:00"
    # Over National Day: the working day before Thursday 8 October is 30 September.
    assert shanghai(rules.confirm_by(strict, "key", at("2026-10-08T15:00"), work)) == "2026-09-30 15:00"


def test_a_request_whose_notice_ran_out_is_refused_naming_what_still_fits(visit, work):
    visit_at = at("2026-12-14T10:00")
    assert rules.check_request_time(visit, "key", visit_at, at("2026-12-11T09:59"), work) == \
        rules.confirm_by(visit, "key", visit_at, work)
    with pytest.raises(VisitError) as refused:
        rules.check_request_time(visit, "key", visit_at, at("2026-12-12T09:00"), work)
    assert str(refused.value).startswith("--at: a key visit (重点客户参观) needs notice of 3 days")
    assert "2026-12-11 10:00" in str(refused.value) and "ordinary or temporary" in str(refused.value)
    with pytest.raises(VisitError, match="--at: the visit's time has passed"):
        rules.check_request_time(visit, "temporary", visit_at, at("2026-12-14T10:00"), work)
    with pytest.raises(VisitError, match="--kind: 'vip' is not one of key, group, ordinary, temporary"):
        rules.confirm_by(visit, "vip", visit_at, work)


# --- 004 3.1: 每月底提出下月客户拜访计划书 -------------------------------------------------

def test_the_plan_is_due_at_the_end_of_the_month_before(visit, work):
    assert rules.next_month(date(2026, 12, 20)) == (2027, 1)
    assert shanghai(rules.plan_due_at(visit, 2027, 1, work)) == "2026-12-31 18:00"
    assert shanghai(rules.plan_due_at(visit, 2027, 3, work)) == "2027-02-28 18:00"
    by_25th = visit.model_copy(update={"plan_due_day": 25})
    assert shanghai(rules.plan_due_at(by_25th, 2027, 3, work)) == "2027-02-25 18:00"


def test_plan_lines_are_checked_one_field_at_a_time(visit):
    line = rules.parse_visit("2027-01-05，华东铸造厂，了解需求", 2027, 1)
    assert (line.on, line.customer, line.purpose) == (date(2027, 1, 5), "华东铸造厂", "了解需求")
    for text, words in (("2027-02-05,华东铸造厂", "not in the plan's month 2027-01"),
                        ("2027-01-32,华东铸造厂", "is not a date"),
                        ("2027-01-05", r"write DATE,CUSTOMER\[,PURPOSE\]")):
        with pytest.raises(VisitError, match=words) as refused:
            rules.parse_visit(text, 2027, 1)
        assert str(refused.value).startswith("--visit: ")
    with pytest.raises(VisitError, match="--visit: a plan names at least one visit"):
        rules.check_plan(visit, [])
    with pytest.raises(VisitError, match="--month: '2027-13' is not a month"):
        rules.parse_month("2027-13")


# --- every message of the process, in every locale ----------------------------------------

def _contexts(policy) -> dict[str, list[dict]]:
    org = policy.organisation
    due = at("2026-12-31T18:00")
    plan = SimpleNamespace(number="BF-202701-001", month="2027-01", salesperson_key="zheng.sales",
                           visits=[SimpleNamespace(visit_on=date(2027, 1, 8), customer="华东铸造厂")])
    site = SimpleNamespace(number="CG-2026-000001", customer="华东铸造厂", visitors=3,
                           visit_at=at("2026-12-14T10:00"))
    todo = SimpleNamespace(id=7, label="提交2027-01客户拜访计划书", due_at=due, round=1,
                           allowed_decisions=["approve"], decision="approve", comment=None,
                           decided_by="zheng.sales")
    review = SimpleNamespace(id=8, label="核准普通客户参观：华东铸造厂", due_at=due, round=2,
                             allowed_decisions=["approve", "reject"], decision="reject",
                             comment="时间冲突", decided_by="li.east")
    person = org.person("zheng.sales")
    common = {"policy": policy, "tz": "Asia/Shanghai", "recipient": org.person("li.east"),
              "person": person, "link": "https://inbox.example/l/x"}
    return {
        "visit_requested": [{**common, "plan": plan, "site": None, "task": todo},
                            {**common, "plan": None, "site": site, "task": review}],
        "visit_decided": [{**common, "plan": plan, "site": None, "task": todo},
                          {**common, "plan": None, "site": site, "task": review}],
        "visit_overdue": [{**common, "case_number": plan.number, "clock_name": "approval:visit_report:1",
                           "due_at": due, "level": 1, "owner": person, "task": todo,
                           "case_url": "https://inbox.example/tasks/7"}],
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_every_visit_message_names_its_case_in_every_locale(policy, locale):
    for event, contexts in _contexts(policy).items():
        for context in contexts:
            title, body = (simplified(t) for t in _render(event, locale, context))
            number = (context.get("plan") or context.get("site") or SimpleNamespace(
                number=context.get("case_number"))).number
            assert number in title and number in body, (event, locale)
            assert "{{" not in title + body and "None" not in title + body
    title, _ = _render("visit_overdue", locale, _contexts(policy)["visit_overdue"][0])
    assert ("逾期" in title) if locale != "en" else ("Overdue" in title)
