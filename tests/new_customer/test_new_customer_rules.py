"""The rules of 销售部门新客户开发管理办法 (000 D8) as plain functions: no database, no Prefect."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from policy.new_customer.schema import ReviewOffsets
from tasks.new_customer.rules import (
    ProspectError,
    add_months,
    check_budget,
    check_product_line,
    outcome_status,
    parse_amount,
    qualify,
    review_dates,
    spend_needs_approval,
    tracking_due,
)

APPROVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture()
def rules(policy):
    return policy.new_customer


@pytest.mark.parametrize(("line", "revenue", "qualified"), [
    ("cast_balls", "3000000", True), ("cast_balls", "2999999.99", False),
    ("equipment", "1000000", True), ("equipment", "999999", False),
])
def test_a_prospect_qualifies_from_its_product_lines_threshold(rules, line, revenue, qualified):
    verdict = qualify(rules, line, Decimal(revenue), already_customer=False)
    assert verdict.qualified is qualified
    if not qualified:
        assert line in verdict.reason and "000 D8 §2" in verdict.reason


def test_an_existing_customer_never_qualifies_as_new(rules):
    verdict = qualify(rules, "cast_balls", Decimal("9000000"), already_customer=True)
    assert not verdict.qualified and "customer list" in verdict.reason


def test_an_unknown_product_line_names_the_option(rules):
    with pytest.raises(ProspectError, match=r"--product-line: 'steel' is not one of cast_balls, equipment"):
        check_product_line(rules, "steel")


@pytest.mark.parametrize(("text", "words"), [
    ("-1", "is negative"), ("0", "more than 0"), ("abc", "not an amount"), ("NaN", "not an amount"),
    ("1.001", "two decimals"),
])
def test_amounts_must_be_positive_money(text, words):
    with pytest.raises(ProspectError, match=words):
        parse_amount("amount", text)


def test_amounts_accept_thousands_separators():
    assert parse_amount("amount", "30,000") == Decimal("30000")


def test_the_preliminary_budget_is_at_most_30000(rules):
    assert check_budget(rules, Decimal("30000")) == Decimal("30000")
    with pytest.raises(ProspectError, match=r"--amount: 30,001 exceeds .* 30,000 \(000 D8 §5.1\)"):
        check_budget(rules, Decimal("30001"))


def test_spending_up_to_five_percent_over_budget_needs_no_new_approval(rules):
    budget = Decimal("20000")
    assert not spend_needs_approval(rules, budget, Decimal("20000"), Decimal("1000"))  # 5.0 %
    assert spend_needs_approval(rules, budget, Decimal("20000"), Decimal("1020"))      # 5.1 %
    assert spend_needs_approval(rules, budget, Decimal("0"), Decimal("21020"))


def test_reviews_fall_30_90_180_365_days_after_approval(rules):
    dates = review_dates(APPROVED, rules.reviews)
    assert [(d - APPROVED).days for d in dates.values()] == [90, 180, 365]
    reminder, due = tracking_due(APPROVED, None, rules.reviews)
    assert ((due - APPROVED).days, (due - reminder).days) == (30, 3)
    later = datetime(2027, 1, 5, tzinfo=UTC)
    assert tracking_due(APPROVED, later, rules.reviews)[1] == datetime(2027, 2, 4, tzinfo=UTC)


def test_review_offsets_come_from_config(rules):
    moved = rules.reviews.model_copy(update={"attention": 60})
    assert (review_dates(APPROVED, moved)["attention"] - APPROVED).days == 60


def test_review_offsets_must_be_in_order():
    with pytest.raises(ValidationError, match="attention < decision < report"):
        ReviewOffsets(tracking=30, attention=200, decision=180, report=365,
                      tracking_reminder_before=3)


def test_the_temporary_tier_is_reviewed_six_months_later():
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 23, tzinfo=UTC), 6) == datetime(2027, 5, 23, tzinfo=UTC)


def test_each_review_outcome_sets_the_projects_course():
    assert [outcome_status(o) for o in ("continue", "suspend", "terminate", "hand_over")] == [
        "developing", "suspended", "terminated", "registering"]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_development_message_renders_in_both_locales(policy, locale):
    from types import SimpleNamespace

    from models import Prospect
    from notifications.render import render

    org = policy.organisation
    prospect = Prospect(number="XK-2026-000007", name="华东铸造厂", product_line="cast_balls",
                        expected_annual_revenue=Decimal("3500000"), status="developing",
                        qualification_reason=None, budget_amount=Decimal("20000"))
    task = SimpleNamespace(id=9, label="六个月专题研究", round=1, due_at=APPROVED, decision="approve",
                           decided_by="lin.dev", comment="继续跟进", allowed_decisions=["approve"],
                           choices={"outcome": ["continue", "hand_over"]},
                           decision_data={"outcome": "continue"})
    common = {"recipient": org.person("xu.deputy"), "owner": org.person("zheng.sales"),
              "tz": "Asia/Shanghai", "prospect": prospect, "task": task, "link": "kefu approvals",
              "case_number": prospect.number, "clock_name": "review:tracking", "due_at": APPROVED,
              "level": 1}
    for event in ("prospect_approval_requested", "prospect_decided", "prospect_overdue",
                  "prospect_tracking_reminder", "prospect_attention"):
        title, body = render(event, locale, common)
        assert "XK-2026-000007" in title and body, event
    title, body = render("prospect_reward_requested", locale,
                         {**common, "year": 2027, "projects": [prospect], "case_number": "XKJ-2027"})
    assert "XKJ-2027" in title and "XK-2026-000007" in body
    title, _ = render("prospect_overdue", locale, {**common, "task": None})
    assert ("跟踪记录" if locale == "zh-CN" else "tracking record") in title
