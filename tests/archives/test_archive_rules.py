"""The rules of 客户档案与保密 without a database: levels expire with their secrecy period
(000 D11 §3.4), who approves a loan (000 D9 §1.5, 000 D11 §4.1.2), a loan's length (004 第19条),
and the policy's numbers in the policy file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.base import Duration
from tasks.archives.rules import approver_ref
from tasks.confidentiality import effective_level
from tasks.deadlines import calendar_for

MARKED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_a_level_holds_until_its_secrecy_period_ends_then_lapses():
    period = Duration(3650, "days")
    end = MARKED + timedelta(days=3650)
    assert effective_level("confidential", MARKED, None, period, MARKED) == "confidential"
    assert effective_level("confidential", MARKED, None, period, end - timedelta(seconds=1)) == "confidential"
    assert effective_level("confidential", MARKED, None, period, end) is None   # 自行解密


def test_an_explicit_end_of_secrecy_wins_over_the_levels_period():
    until = MARKED + timedelta(days=30)
    period = Duration(7300, "days")
    assert effective_level("top_secret", MARKED, until, period, until - timedelta(hours=1)) == "top_secret"
    assert effective_level("top_secret", MARKED, until, period, until) is None


def test_own_departments_record_is_approved_by_its_manager_anothers_by_the_gm(policy):
    rules, org = policy.archives, policy.organisation
    # 000 D9 §1.5: 本业务部门 → 部门经理; 非本业务部门 → 总经理
    assert approver_ref(rules, org, "chen.qe", "quality", "confidential") == "head:quality"
    assert approver_ref(rules, org, "zheng.sales", "quality", "confidential") == "role:general_manager"
    # 000 D11 §4.1.2: 绝密 only to those the general manager names
    assert approver_ref(rules, org, "chen.qe", "quality", "top_secret") == "role:general_manager"
    # nobody approves their own request: the manager of the department goes to the GM
    assert approver_ref(rules, org, "liu.quality", "quality", "confidential") == "role:general_manager"


def test_a_loan_lasts_three_calendar_days_and_ends_at_close_of_business(policy):
    lent = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)          # Monday 10:00 Shanghai
    due = calendar_for(policy.calendar).add(lent, policy.archives.loan)
    assert policy.archives.loan == Duration(3, "days")      # 004 第19条: 不得超过三天
    assert due == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)  # Thursday 18:00: day 4 is overdue


def test_the_policy_file_holds_the_levels_periods_and_three_destruction_approvals(policy):
    rules = policy.archives
    assert set(rules.secrecy_periods) == {"secret", "confidential", "top_secret"}
    assert rules.guarded_levels == ["confidential", "top_secret"]
    assert len(rules.destruction_chain) == 3


def test_a_policy_with_two_destruction_approvals_is_refused_naming_the_field(policy):
    from pydantic import ValidationError

    from policy.schema import Policy

    data = policy.model_dump(mode="python")
    data["archives"]["destruction_chain"] = data["archives"]["destruction_chain"][:2]
    with pytest.raises(ValidationError, match="destruction_chain"):
        Policy.model_validate(data)
