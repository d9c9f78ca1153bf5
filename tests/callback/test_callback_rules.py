"""The rules of 客户回访 (004 D14 第1–2条) without a database or Prefect: the reproducible
sample, who calls back, the closed loop of a dissatisfied customer, the month's rates, and the
policy files that carry every number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from policy.load import PolicyError, load_policy
from tasks.callback.rules import (
    CallbackError,
    caller_ref,
    considered,
    is_chosen,
    monthly_figures,
    next_step,
    parse_month,
    sample_score,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rules():
    return load_policy(ROOT / "policy" / "default.yaml").callback


def _numbers(count: int) -> list[str]:
    return [f"TS-2026-{n:06d}" for n in range(1, count + 1)]


def test_half_of_a_thousand_handled_complaints_are_called_back(rules):
    """004 D14 §1.3: 回访率达50% — over 1,000 handled complaints the share drawn is 50% ± 3%."""
    chosen = [n for n in _numbers(1000) if is_chosen(rules, "complaint", n)[0]]
    assert 470 <= len(chosen) <= 530, len(chosen)


def test_the_same_inputs_choose_the_same_cases(rules):
    """The draw is a function of (seed, kind, case number): the same cases in any order, on
    any run; another seed chooses others."""
    first = {n for n in _numbers(1000) if is_chosen(rules, "complaint", n)[0]}
    again = {n for n in reversed(_numbers(1000)) if is_chosen(rules, "complaint", n)[0]}
    assert first == again
    other = rules.model_copy(update={"seed": "another-seed"})
    assert first != {n for n in _numbers(1000) if is_chosen(other, "complaint", n)[0]}
    assert sample_score("s", "complaint", "TS-1") == sample_score("s", "complaint", "TS-1")
    assert 0 <= sample_score("s", "complaint", "TS-1") < 1


@pytest.mark.parametrize(("kind", "share"), [("repair", 0.3), ("activity", 0.1)])
def test_repairs_and_activities_are_sampled_at_their_own_share(rules, kind, share):
    """004 D14 §1.4 维修 30%, §1.5 活动 10%."""
    drawn = sum(is_chosen(rules, kind, n)[0] for n in _numbers(1000))
    assert abs(drawn / 1000 - share) <= 0.03, drawn


def test_an_important_complaint_is_always_called_back_by_the_department_head(rules):
    """004 D14 §1.3: 重要投诉由部门主管回访; always drawn (a setting: policy silent)."""
    missed = next(n for n in _numbers(50) if not is_chosen(rules, "complaint", n)[0])
    assert is_chosen(rules, "complaint", missed, important=True)[0]
    spec = rules.kinds["complaint"]
    assert caller_ref(spec, important=True) == "head"
    assert caller_ref(spec, important=False) == "role:feedback_officer"
    assert caller_ref(rules.kinds["repair"], important=True) == "role:feedback_officer"


def test_a_dissatisfied_customer_is_called_back_again_until_the_last_round(rules):
    """004 D14 §1.9/§2.3 and 003's closed loop: not satisfied → another callback (第二次、
    第三次…), up to max_rounds; satisfied closes it."""
    assert next_step(rules, "satisfied", 1) == "closed"
    assert next_step(rules, "dissatisfied", 1) == "again"
    assert next_step(rules, "dissatisfied", rules.max_rounds - 1) == "again"
    assert next_step(rules, "dissatisfied", rules.max_rounds) == "closed"
    once = rules.model_copy(update={"again_when_dissatisfied": False})
    assert next_step(once, "dissatisfied", 1) == "closed"
    with pytest.raises(CallbackError, match="--outcome: 'maybe' is not one of"):
        next_step(rules, "maybe", 1)


def test_only_recently_handled_cases_are_considered(rules):
    moment = datetime(2026, 12, 5, tzinfo=UTC)
    assert considered(rules, moment - timedelta(days=29), moment)
    assert not considered(rules, moment - timedelta(days=31), moment)


def test_the_month_figures_give_callback_and_satisfaction_rates():
    rows = [
        {"kind": "complaint", "chosen": True, "called": True, "on_time": True, "satisfied": True},
        {"kind": "complaint", "chosen": True, "called": True, "on_time": False, "satisfied": False},
        {"kind": "complaint", "chosen": True, "called": False, "on_time": False, "satisfied": False},
        {"kind": "complaint", "chosen": False, "called": False, "on_time": False, "satisfied": False},
    ]
    [k] = monthly_figures(rows)["kinds"]
    assert (k["handled"], k["chosen"], k["called"], k["on_time"], k["satisfied"]) == (4, 3, 2, 1, 1)
    assert k["callback_rate"] == round(2 / 3, 4) and k["satisfaction"] == 0.5
    assert parse_month("2026-12") == (2026, 12)
    with pytest.raises(CallbackError, match="--month: '12/2026' is not a month"):
        parse_month("12/2026")


def test_the_doc2_variant_calls_back_within_two_weeks_on_a_signed_record():
    """001 Doc2: 两周内回访, 回访记录表 signed by the customer — by configuration only."""
    doc2 = load_policy(ROOT / "policy" / "variants" / "callback-doc2.yaml").callback
    assert str(doc2.kinds["complaint"].window) == "14 days" and doc2.signed_record
    assert str(load_policy(ROOT / "policy" / "default.yaml").callback.kinds["complaint"].window) == "3 days"


def test_a_caller_nobody_is_refused_naming_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {ROOT / 'policy' / 'default.yaml'}\ncallback:\n  kinds:\n"
                   f"    complaint:\n      label: 投诉回访\n      share: 0.5\n      window: 3 days\n"
                   f"      callers: {{general: 'role:nobody'}}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="callback.kinds.complaint.callers.general"):
        load_policy(bad)
    bad.write_text(f"extends: {ROOT / 'policy' / 'default.yaml'}\ncallback:\n  kinds:\n"
                   f"    complaint:\n      label: 投诉回访\n      share: 1.5\n      window: 3 days\n"
                   f"      callers: {{general: 'role:feedback_officer'}}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="share"):
        load_policy(bad)
