"""Classification and routing (000 D2 §2.3, §3): the category decides department and handler."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tasks.complaint.classify import classify
from tasks.complaint.route import assess_return, route

RECEIVED = date(2026, 11, 27)


@pytest.fixture(scope="module")
def categories(policy):
    return policy.complaint.categories


@pytest.mark.parametrize("text", [
    "这批酒的口感和以前不一样",
    "酒有一股异味，风味很差",
    "外包装破损，礼盒变形",
    "The taste is off and the packaging is torn",
])
def test_taste_flavour_and_packaging_are_product_quality(categories, text):
    assert classify(text, categories) == "quality"


def test_quality_complaint_goes_to_the_quality_engineer(policy):
    decided = route("quality", policy)
    assert decided.department == "quality"
    assert decided.handler == "chen.qe"
    assert decided.notify_superior is True
    assert decided.public_criticism is False
    assert decided.return_assessment is None


@pytest.mark.parametrize("text", ["瓶底有很多沉淀", "酒里有大的悬浮物", "bottle has sediment"])
def test_sediment_and_suspended_matter_are_returns(categories, text):
    assert classify(text, categories) == "return"


def test_return_goes_to_the_quality_department_head(policy):
    decided = route("return", policy, "瓶底有沉淀", None, RECEIVED)
    assert decided.department == "quality"
    assert decided.handler == "liu.quality"
    assert decided.return_assessment == "质量部根据调查、状况事实按退货流程办理"


def test_mould_shipped_ten_days_before_receipt_is_an_unconditional_return(policy, categories):
    text = "开箱发现瓶口发霉"
    assert classify(text, categories) == "return"
    decided = route("return", policy, text, RECEIVED - timedelta(days=10), RECEIVED)
    assert "无条件退货" in decided.return_assessment
    assert "10天" in decided.return_assessment


def test_mould_on_the_fifteenth_day_is_still_an_unconditional_return(policy):
    rule = policy.complaint.return_rule
    outcome = assess_return("发霉", RECEIVED - timedelta(days=15), RECEIVED, rule)
    assert outcome.kind == "unconditional"


def test_mould_shipped_twenty_days_before_receipt_is_investigated(policy):
    rule = policy.complaint.return_rule
    outcome = assess_return("开箱发现瓶口发霉", RECEIVED - timedelta(days=20), RECEIVED, rule)
    assert outcome.kind == "investigate"
    assert "无条件退货" not in outcome.reason
    decided = route("return", policy, "开箱发现瓶口发霉", RECEIVED - timedelta(days=20), RECEIVED)
    assert "20天" in decided.return_assessment
    assert "调查" in decided.return_assessment


def test_mould_without_a_shipping_date_is_checked_against_the_warehouse_record(policy):
    outcome = assess_return("发霉", None, RECEIVED, policy.complaint.return_rule)
    assert outcome.kind == "investigate"
    assert "销售出库审核表" in outcome.reason


def test_damage_from_the_customers_storage_is_not_a_quality_accident(policy):
    text = "仓储时受潮，酒瓶发霉"
    outcome = assess_return(text, RECEIVED - timedelta(days=5), RECEIVED,
                            policy.complaint.return_rule)
    assert outcome.kind == "storage_excluded"
    assert "不予退货" in outcome.reason
    decided = route("return", policy, text, RECEIVED - timedelta(days=5), RECEIVED)
    assert "不予退货" in decided.return_assessment


def test_staff_attitude_is_a_service_complaint_with_public_criticism(policy, categories):
    text = "业务员态度很差，电话不理人"
    assert classify(text, categories) == "service"
    decided = route("service", policy)
    assert decided.department == "ops_office"
    assert decided.handler == "zhou.ops"
    assert decided.public_criticism is True


def test_misunderstanding_is_explained_by_the_head_of_the_ops_office(policy, categories):
    text = "之前和业务员有误会"
    assert classify(text, categories) == "misunderstanding"
    decided = route("misunderstanding", policy)
    assert decided.department == "ops_office"
    assert decided.handler == "zhou.ops"
    assert decided.public_criticism is False


@pytest.mark.parametrize("text", ["今天天气很好", "", "请问你们周末上班吗"])
def test_text_matching_no_category_goes_to_manual_classification(categories, text):
    assert classify(text, categories) is None


def test_the_category_with_most_keyword_hits_wins(categories):
    # One quality word, two return words.
    assert classify("味道还行，但是瓶底有沉淀，还有悬浮物", categories) == "return"


def test_a_tie_goes_to_the_category_listed_first(categories):
    assert classify("口感不好，态度也差", categories) == "quality"


def test_routing_carries_the_policy_procedure(policy):
    assert route("service", policy).procedure == policy.complaint.category("service").procedure


def test_routing_an_unknown_category_is_refused(policy):
    with pytest.raises(KeyError):
        route("weather", policy)


def test_shipping_date_after_receipt_is_not_reported_as_over_the_limit(policy):
    outcome = assess_return("发霉", RECEIVED + timedelta(days=3), RECEIVED,
                            policy.complaint.return_rule)
    assert outcome.kind == "investigate"
    assert "-3天" not in outcome.reason
    assert "晚于" in outcome.reason
