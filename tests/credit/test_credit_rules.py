"""004 D2's rules without a database: the limit is the payments of the 30 days before the
shipment day, exactly at its boundaries; an excess below 1/3 of the limit is the regional
manager's, exactly 1/3 or more the next level's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tasks.credit.rules import CreditError, credit_limit, parse_amount, signature, territory_manager

SHIP = date(2026, 12, 10)


def test_the_limit_is_the_payments_of_the_thirty_days_before_the_shipment_day():
    payments = [
        (date(2026, 11, 9), Decimal("1000")),    # 31 days before: outside
        (date(2026, 11, 10), Decimal("200")),    # 30 days before: the window's first day
        (date(2026, 12, 9), Decimal("30")),      # the day before: the window's last day
        (date(2026, 12, 10), Decimal("4000")),   # the shipment day: counts from tomorrow (§1.3)
    ]
    assert credit_limit(payments, SHIP, 30) == Decimal("230")
    # A day later the shipment day's payment counts, and 11-10's has left the window.
    assert credit_limit(payments, date(2026, 12, 11), 30) == Decimal("4030")
    assert credit_limit(payments, date(2026, 12, 10), 1) == Decimal("30")
    assert credit_limit([], SHIP, 30) == 0


def test_within_the_limit_nobody_signs(policy):
    sign = signature(policy.credit, Decimal("9000"), Decimal("9000"))
    assert sign.within_limit and sign.approver is None and sign.excess == 0


def test_an_excess_below_a_third_of_the_limit_is_the_regional_managers(policy):
    sign = signature(policy.credit, Decimal("11999.99"), Decimal("9000"))   # over by 2999.99
    assert (sign.level, sign.approver, sign.excess) == (1, "territory_manager", Decimal("2999.99"))


def test_an_excess_of_exactly_a_third_needs_the_next_level(policy):
    """小于授信额的三分之一: 3000 of 9000 is not less than a third."""
    sign = signature(policy.credit, Decimal("12000"), Decimal("9000"))
    assert (sign.level, sign.approver) == (2, "role:sales_minister")
    # A third that decimals cannot write: 100/3 = 33.333… — 33.33 is below it, 33.34 is not.
    assert signature(policy.credit, Decimal("133.33"), Decimal("100")).level == 1
    assert signature(policy.credit, Decimal("133.34"), Decimal("100")).level == 2


def test_a_customer_without_credit_needs_the_last_level(policy):
    """§1.4.1 未授信客户: no payments in the window, any shipment needs the top band."""
    assert signature(policy.credit, Decimal("1"), Decimal("0")).approver == "role:sales_minister"


def test_the_regional_manager_is_the_section_chief_of_the_customers_territory(policy):
    org = policy.organisation
    assert territory_manager(org, "section_chief", "east") == "li.east"
    assert territory_manager(org, "section_chief", "north") == "tang.north"
    assert territory_manager(org, "section_chief", None) is None


@pytest.mark.parametrize("text", ["abc", "0", "-5", "1.001", "NaN", "inf"])
def test_a_bad_amount_names_the_field(text):
    with pytest.raises(CreditError, match=r"^--amount: "):
        parse_amount("amount", text)


def test_the_bands_come_from_the_policy(policy):
    """A policy with three bands (a third; the whole limit; more) routes by them, no code."""
    from policy.credit.schema import CreditPolicy

    rules = CreditPolicy.model_validate({
        **dict(policy.credit),
        "approvers": [{"below": "1/3", "approver": "territory_manager"},
                      {"below": "1", "approver": "role:sales_minister"},
                      {"approver": "role:general_manager"}]})
    assert signature(rules, Decimal("199.99"), Decimal("100")).approver == "role:sales_minister"
    assert signature(rules, Decimal("200"), Decimal("100")).approver == "role:general_manager"


def test_bands_out_of_order_are_refused(policy):
    from pydantic import ValidationError

    from policy.credit.schema import CreditPolicy

    with pytest.raises(ValidationError, match="below must increase"):
        CreditPolicy.model_validate({
            **dict(policy.credit),
            "approvers": [{"below": "1/2", "approver": "territory_manager"},
                          {"below": "1/3", "approver": "role:sales_minister"},
                          {"approver": "role:general_manager"}]})
