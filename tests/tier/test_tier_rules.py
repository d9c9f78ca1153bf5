"""客户等级评定 (000 D7; 004 D22) rules: plain functions, no database, no Prefect."""

from __future__ import annotations

import pytest

from tasks.complaint.priority import complaint_priority
from tasks.tier.rules import (
    YearFigures,
    final_grades,
    proposed_grade,
    scores,
    territory_chiefs,
)

STRONG = YearFigures(sales=450, growth=25, overdue_payments=0, cooperation=95)
WEAK = YearFigures(sales=40, growth=-5, overdue_payments=3, cooperation=40)


def test_strong_year_proposes_a_and_weak_year_the_last_grade(policy):
    tiers = policy.tier_assessment
    assert proposed_grade(STRONG, tiers) == "A"
    assert proposed_grade(WEAK, tiers) == "C"


def test_a_needs_the_sales_floor_even_with_a_high_score(policy):
    """The A cutoff's min_sales holds whatever the composite score says."""
    tiers = policy.tier_assessment
    loyal_small = YearFigures(sales=250, growth=30, overdue_payments=0, cooperation=100)
    assert scores(loyal_small, tiers)["composite"] >= tiers.cutoffs["A"].min_score
    assert proposed_grade(loyal_small, tiers) == "B"


def test_late_payments_keep_a_big_customer_out_of_a(policy):
    tiers = policy.tier_assessment
    late_payer = YearFigures(sales=500, growth=30, overdue_payments=2, cooperation=100)
    assert proposed_grade(late_payer, tiers) == "B"


@pytest.mark.parametrize(("method", "figures", "grade"), [
    ("order_value", YearFigures(480, -10, 0, 10), "A"),     # sales alone
    ("potential", YearFigures(480, -10, 0, 10), "C"),       # shrinking: no potential
    ("credit", YearFigures(40, 0, 0, 10), "B"),             # pays on time, too small for A
    ("profit", YearFigures(480, 10, 0, 90, profit=20), "C"),
    ("profit", YearFigures(480, 10, 0, 90, profit=90), "A"),
])
def test_each_004_d22_method_grades_on_its_own_measure(policy, method, figures, grade):
    assert proposed_grade(figures, policy.tier_assessment, method) == grade


def test_scores_stay_within_0_and_100(policy):
    measured = scores(YearFigures(sales=9999, growth=-50, overdue_payments=9, cooperation=120),
                      policy.tier_assessment)
    assert all(0 <= value <= 100 for value in measured.values())
    assert measured["order_value"] == 100 and measured["potential"] == 0 and measured["credit"] == 0


def test_thresholds_come_from_the_policy(policy):
    stricter = policy.tier_assessment.model_copy(
        update={"cutoffs": {"A": policy.tier_assessment.cutoffs["A"].model_copy(
            update={"min_sales": 480}), "B": policy.tier_assessment.cutoffs["B"]}})
    assert proposed_grade(STRONG, policy.tier_assessment) == "A"
    assert proposed_grade(STRONG, stricter) == "B"


def test_each_territory_has_its_section_chief(policy):
    chiefs = territory_chiefs(policy)
    assert {t: p.key for t, p in chiefs.items()} == {
        "east": "li.east", "south": "xie.south", "north": "tang.north"}


def test_meeting_overrides_pregrade_which_overrides_proposal():
    proposals = {"甲": {"grade": "B", "proposed": "B"}, "乙": {"grade": None, "proposed": "C"},
                 "丙": {"grade": "A", "proposed": "A"}}
    pregrades = {"甲": {"grade": "A", "reason": "新品推广好", "by": "li.east"},
                 "乙": {"grade": "B", "reason": "回款改善", "by": "xie.south"}}
    meeting = {"甲": {"grade": "B", "reason": "会议复评：库存积压", "by": "ma.promo"}}
    results = final_grades(proposals, pregrades, meeting)
    assert results["甲"] | {} == {"grade": "B", "reason": "会议复评：库存积压", "by": "ma.promo",
                                  "source": "meeting", "previous": "B", "proposed": "B"}
    assert (results["乙"]["grade"], results["乙"]["source"]) == ("B", "pregrade")
    assert (results["丙"]["grade"], results["丙"]["source"], results["丙"]["by"]) == ("A", "proposal", None)


def test_only_a_customers_complaints_get_priority(policy):
    tiers = policy.tier_assessment
    assert complaint_priority("A", tiers) == "A"
    assert complaint_priority("B", tiers) is None
    assert complaint_priority(None, tiers) is None
    assert complaint_priority("A", None) is None


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("kind", ["a_application", "order_exception", "temporary_review"])
def test_tier_case_request_renders_for_every_kind(policy, locale, kind):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from notifications.render import render

    detail = {"exception": "refuse_a_order"} if kind == "order_exception" else {}
    choices = {"grade": ["A", "B", "C"]} if kind == "temporary_review" else {}
    title, body = render("tier_case_requested", locale, {
        "case": SimpleNamespace(number="AA-2027-0001", requested_by="zheng.sales", reason="增长快",
                                detail=detail),
        "customer": SimpleNamespace(name="某酒行", grade="B", grade_temporary=False, territory="east"),
        "kind_label": "A级客户申报",
        "task": SimpleNamespace(id=7, due_at=datetime(2027, 4, 1, 10, tzinfo=UTC), choices=choices),
        "recipient": policy.organisation.person("li.east"), "tz": "Asia/Shanghai", "link": ""})
    assert "AA-2027-0001" in title and "某酒行" in body and "2027-04-01 18:00" in body
    assert ("A/B/C" in body) == (kind == "temporary_review")  # the grades to choose from
    assert "kefu tiers decide" not in body  # decided through the signed link, not a command
