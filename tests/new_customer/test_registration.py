"""A won project registers its customer (000 D9 §1.4) with a temporary grade reviewed after
six months of cooperation (000 D7 §5.1.2 D). Steps on a real (SQLite) database."""

from __future__ import annotations

import pytest
from test_new_customer_steps import apply, db  # noqa: F401  (db: the steps tests' fixture)

from policy.load import load_policy
from tasks.new_customer.rules import ProspectError


def _won(policy, monkeypatch) -> str:
    from test_new_customer_steps import decide_as_assignee, on_day, to_development

    from tasks.new_customer import case

    number = apply(policy)
    special_study = to_development(policy, number, monkeypatch)
    on_day(policy, monkeypatch, 181)
    decide_as_assignee(policy, special_study, outcome="hand_over")
    case.apply_outcome(policy, number, special_study)
    case.request_registration(policy, number)
    return number


def test_a_registered_customer_gets_the_temporary_grade_named_in_its_grade_history(db):
    from tasks.new_customer import case
    from tasks.tier.grades import customer_view

    policy = load_policy()
    number = _won(policy, db)
    with pytest.raises(ProspectError, match="--grade: 'D' is not one of A, B, C"):
        case.register_customer(policy, number, phone="13900000000", grade="D")
    case.register_customer(policy, number, phone="13900000000", grade="B")
    card = customer_view("华东铸造厂")
    assert (card["grade"], card["grade_temporary"]) == ("B", True)
    [change] = card["grade_history"]
    assert (change["to"], change["temporary"], change["by"]) == ("B", True, "zheng.sales")
    assert number in change["reason"]
