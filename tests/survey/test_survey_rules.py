"""000 D4 §6's rules without a database: each aspect's satisfaction is the share of answers at
or above the policy's "satisfied" mark; an aspect below the target is a subject of corrective
actions; a bad cell is named by row and column and nothing is accepted."""

from __future__ import annotations

import pytest

from tasks.survey.rules import SurveyError, analyse, below_target, check_answers, column_of


def _answers(service: list[int], price: list[int]) -> list[dict[str, int]]:
    return [{"service": s, "price": p} for s, p in zip(service, price, strict=True)]


def test_an_aspect_below_target_opens_corrective_actions(policy):
    rules = policy.survey
    # service: 8 of 10 satisfied (80%); price: 9 of 10 (90%, meets a 90% target exactly).
    results = analyse(rules, _answers([5, 5, 4, 4, 4, 4, 4, 4, 3, 2], [5, 5, 5, 4, 4, 4, 4, 4, 4, 1]))
    assert (results["service"].rate, results["price"].rate) == (80.0, 90.0)
    assert below_target(results, rules.target_percent) == ["service"]
    assert results["company"].answers == 0  # nobody rated it: not below anything


def test_all_aspects_at_target_open_nothing(policy):
    results = analyse(policy.survey, _answers([4] * 9 + [1], [5] * 10))
    assert below_target(results, policy.survey.target_percent) == []


def test_the_target_is_the_policys(policy):
    results = analyse(policy.survey, _answers([4] * 9 + [1], [5] * 10))
    assert below_target(results, 95) == ["service"]


def test_the_default_target_is_ninety_percent(policy):
    assert policy.survey.target_percent == 90


def test_columns_are_named_by_key_or_in_either_script(policy):
    rules = policy.survey
    assert column_of(rules, "service") == "service"
    assert column_of(rules, "服务质量") == "service"
    assert column_of(rules, "服務質量") == "service"
    assert column_of(rules, " 套餐价格 ") == "price"
    assert column_of(rules, "客户") is None


def test_a_bad_answer_is_named_by_row_and_column_and_nothing_is_accepted(policy):
    with pytest.raises(SurveyError) as refused:
        check_answers(policy.survey, [(2, {"service": "5", "price": "4"}),
                                      (3, {"service": "6", "price": "好"})])
    message = str(refused.value)
    assert "row 3, column service: '6'" in message and "row 3, column price: '好'" in message
    assert "nothing imported" in message and "\n" not in message


def test_full_width_digits_and_empty_cells(policy):
    assert check_answers(policy.survey, [(2, {"service": "５", "price": ""})]) == [{"service": 5}]
