"""The escalation ladder: who is told when a clock is overdue, and when each rung acts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policy.base import CalendarPolicy
from tasks.deadlines import WorkCalendar
from tasks.ladder import catch_up, next_escalation_at, rung_due_at, rung_targets, rungs_reached
from tasks.people import AssigneeError, escalation_targets, resolve_assignee, superior_chain

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A handling clock due Wed 2 Dec 2026 at close of business.
DUE = datetime(2026, 12, 2, 18, 0, tzinfo=SHANGHAI)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def ladder(policy):
    return policy.complaint.escalation


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar(CalendarPolicy())


# --- people -----------------------------------------------------------------------------

def test_quality_engineers_superiors_are_the_quality_head_then_the_general_manager(policy):
    assert superior_chain("chen.qe", policy.organisation) == ["liu.quality", "wang.gm"]


def test_general_manager_has_no_superior(policy):
    assert superior_chain("wang.gm", policy.organisation) == []


def test_feedback_officer_reports_through_the_ops_head_to_the_general_manager(policy):
    assert superior_chain("wu.ops", policy.organisation) == [
        "zhou.ops", "zhao.director", "wang.gm"]


@pytest.mark.parametrize(("ref", "expected"), [
    ("person:sun.admin", "sun.admin"),
    ("head:marketing_admin", "sun.admin"),
    ("head:quality", "liu.quality"),
    ("role:feedback_officer", "wu.ops"),
    ("role:general_manager", "wang.gm"),
])
def test_assignee_references_resolve_to_people(policy, ref, expected):
    assert resolve_assignee(ref, policy) == expected


def test_handler_reference_is_the_cases_handler(policy):
    assert resolve_assignee("handler", policy, handler="chen.qe") == "chen.qe"
    with pytest.raises(AssigneeError):
        resolve_assignee("handler", policy)


def test_unresolvable_assignee_is_an_assignee_error(policy):
    with pytest.raises(AssigneeError):
        resolve_assignee("role:astronaut", policy)
    with pytest.raises(AssigneeError):
        resolve_assignee("everyone", policy)


def test_first_rung_tells_the_owner_and_their_superior(policy, ladder):
    assert escalation_targets(ladder.ladder[0].notify, "chen.qe", policy) == [
        "chen.qe", "liu.quality"]


def test_second_rung_tells_the_superiors_superior(policy, ladder):
    assert escalation_targets(ladder.ladder[1].notify, "chen.qe", policy) == ["wang.gm"]


def test_third_rung_tells_the_general_manager(policy, ladder):
    assert escalation_targets(ladder.ladder[2].notify, "chen.qe", policy) == ["wang.gm"]


def test_superior_beyond_the_top_of_the_chain_is_the_top(policy):
    assert escalation_targets(["superior.superior.superior"], "chen.qe", policy) == ["wang.gm"]
    assert escalation_targets(["superior.superior"], "liu.quality", policy) == ["wang.gm"]


def test_owner_without_a_superior_is_told_once(policy):
    assert escalation_targets(["assignee", "superior"], "wang.gm", policy) == ["wang.gm"]


def test_each_person_is_told_once_per_rung(policy):
    refs = ["superior", "head:quality", "superior.superior", "role:general_manager"]
    assert escalation_targets(refs, "chen.qe", policy) == ["liu.quality", "wang.gm"]


# --- a rung only goes up --------------------------------------------------------------

def test_a_rung_tells_the_engineer_and_the_quality_head_as_before(policy, ladder):
    targets = rung_targets(ladder.ladder[0].notify, "chen.qe", policy)
    assert (targets.notify, targets.passed_over) == (["chen.qe", "liu.quality"], [])


def test_the_general_managers_overdue_task_is_not_escalated_down_to_the_deputy(policy):
    # 000 D8 ladder, level 2: role:deputy_leader is xu.deputy, who reports to wang.gm.
    targets = rung_targets(["role:deputy_leader"], "wang.gm", policy)
    assert targets.notify == []
    assert len(targets.passed_over) == 1
    assert "xu.deputy" in targets.passed_over[0] and "nobody above wang.gm" in targets.passed_over[0]


def test_a_rung_naming_the_owner_goes_to_the_owners_superior_instead(policy):
    targets = rung_targets(["role:deputy_leader"], "xu.deputy", policy)
    assert targets.notify == ["wang.gm"]
    assert "the assignee" in targets.passed_over[0] and "wang.gm told instead" in targets.passed_over[0]


def test_the_top_of_the_chain_is_told_of_their_own_deadline_but_has_no_superior_to_tell(policy):
    targets = rung_targets(["assignee", "superior"], "wang.gm", policy)
    assert targets.notify == ["wang.gm"]
    assert ["superior" in why for why in targets.passed_over] == [True]


# --- when the rungs act -----------------------------------------------------------------

def test_rungs_act_at_the_due_time_then_one_and_two_working_days_later(ladder, calendar):
    due_times = [rung_due_at(DUE, rung, calendar) for rung in ladder.ladder]
    assert due_times == [DUE, shanghai(2026, 12, 3, 18, 0), shanghai(2026, 12, 4, 18, 0)]


def test_second_rung_waits_over_the_weekend(ladder, calendar):
    friday = shanghai(2026, 12, 4, 18, 0)
    assert next_escalation_at(friday, 1, ladder, calendar) == shanghai(2026, 12, 7, 18, 0)


def test_no_rung_is_reached_before_the_due_time(ladder, calendar):
    assert rungs_reached(DUE, 0, DUE - timedelta(minutes=1), ladder, calendar) == []


def test_first_rung_is_reached_at_the_due_time(ladder, calendar):
    assert [r.level for r in rungs_reached(DUE, 0, DUE, ladder, calendar)] == [1]


def test_a_late_sweep_finds_every_missed_rung_reached_in_order(ladder, calendar):
    saturday = shanghai(2026, 12, 5, 9, 0)
    assert [r.level for r in rungs_reached(DUE, 0, saturday, ladder, calendar)] == [1, 2, 3]


def test_a_late_sweep_sends_only_the_highest_rung_and_skips_the_lower_ones(policy, ladder,
                                                                          calendar):
    saturday = shanghai(2026, 12, 5, 9, 0)
    plan = catch_up(rungs_reached(DUE, 0, saturday, ladder, calendar), "chen.qe", policy)
    assert (plan.rung.level, plan.targets.notify) == (3, ["wang.gm"])
    assert [level for level, _ in plan.skipped] == [1, 2]
    assert all("level 3 was due too" in why for _, why in plan.skipped)


def test_a_sweep_on_time_sends_the_one_rung_due_and_skips_nothing(policy, ladder, calendar):
    plan = catch_up(rungs_reached(DUE, 0, DUE, ladder, calendar), "chen.qe", policy)
    assert (plan.rung.level, plan.skipped) == (1, [])
    assert catch_up([], "chen.qe", policy).rung is None


def test_a_late_sweep_sends_the_highest_rung_that_reaches_somebody_above_the_owner(policy):
    # The GM's own overdue budget approval (000 D8 ladder): level 3 names himself and level 2
    # his deputy; level 1 tells him of his own deadline, and the others are skipped.
    overdue = policy.new_customer.ladders.overdue.ladder
    plan = catch_up(overdue, "wang.gm", policy)
    assert (plan.rung.level, plan.targets.notify) == (1, ["wang.gm"])
    assert [level for level, _ in plan.skipped] == [2, 3]
    assert "xu.deputy" in dict(plan.skipped)[2] and "the assignee" in dict(plan.skipped)[3]


def test_rungs_already_sent_are_not_sent_again(ladder, calendar):
    friday_evening = shanghai(2026, 12, 4, 19, 0)
    assert [r.level for r in rungs_reached(DUE, 1, friday_evening, ladder, calendar)] == [2, 3]
    assert rungs_reached(DUE, 3, friday_evening, ladder, calendar) == []


def test_next_escalation_follows_the_reached_level(ladder, calendar):
    assert next_escalation_at(DUE, 0, ladder, calendar) == DUE
    assert next_escalation_at(DUE, 1, ladder, calendar) == shanghai(2026, 12, 3, 18, 0)
    assert next_escalation_at(DUE, 2, ladder, calendar) == shanghai(2026, 12, 4, 18, 0)


def test_no_next_escalation_once_the_ladder_is_exhausted(ladder, calendar):
    assert next_escalation_at(DUE, 3, ladder, calendar) is None
    assert next_escalation_at(DUE, 4, ladder, calendar) is None


def test_second_rung_skips_national_day(ladder, calendar):
    # Due Wed 30 Sept 2026; the next working day is Thu 8 Oct.
    due = shanghai(2026, 9, 30, 18, 0)
    assert next_escalation_at(due, 1, ladder, calendar) == shanghai(2026, 10, 8, 18, 0)
    assert next_escalation_at(due, 2, ladder, calendar) == shanghai(2026, 10, 9, 18, 0)
