"""Issue 21 §10: what a zh-CN reader gets says 同意/驳回/退回, 铸球, 华东片区, 开发中, 郑业务（业务员）
— never the codes the system stores (approve, cast_balls, east, developing, zheng.sales). The
CLI flags and the JSON keep the codes; only the words people read change."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from notifications.render import render
from tasks import labels

# Every code a person could otherwise read in a message, a card or a table.
CODES = ("approve", "reject", "send_back", "cast_balls", "equipment", "east", "south", "north",
         "developing", "budget_due", "pending", "decided", "hand_over", "continue", "composite",
         "zheng.sales", "xu.deputy", "li.east", "lin.dev", "already on the customer list")
DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def codes_in(text: str) -> list[str]:
    return [code for code in CODES if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text)]


def _task(**overrides) -> SimpleNamespace:
    values = dict(id=7, label="立项审核", step="application_review", due_at=DUE, round=1,
                  allowed_decisions=["approve", "reject", "send_back"], choices={},
                  decision=None, decided_by=None, comment=None, decision_data={},
                  assignee_key="xu.deputy", case_number="XK-2026-000001")
    values.update(overrides)
    return SimpleNamespace(**values)


def _prospect(**overrides) -> SimpleNamespace:
    values = dict(number="XK-2026-000001", name="华东铸造厂", product_line="cast_balls",
                  expected_annual_revenue=3500000, budget_amount=None, status="developing",
                  qualification_reason="already on the customer list (000 D8 §2: 目前销售客户目录之外)")
    values.update(overrides)
    return SimpleNamespace(**values)


def _contexts(policy) -> dict[str, dict]:
    org = policy.organisation
    base = {"policy": policy, "tz": "Asia/Shanghai", "recipient": org.person("xu.deputy"),
            "link": "https://inbox.example/l/abc", "complaint": None,
            "case_number": "XK-2026-000001", "prospect": _prospect(),
            "owner": org.person("zheng.sales")}
    rows = [{"name": "某酒行", "territory": "east", "grade": "B", "proposed": "A", "pregrade": "A",
             "scores": {"composite": 72}}]
    assessment = SimpleNamespace(year=2027, figures_year=2026, method="composite")
    return {
        "approval_requested": {**base, "task": _task()},
        "approval_cc": {**base, "task": _task()},
        "prospect_approval_requested": {
            **base, "task": _task(allowed_decisions=["approve"],
                                  choices={"outcome": ["continue", "suspend", "terminate", "hand_over"]})},
        "prospect_decided": {**base, "task": _task(decision="approve", decided_by="xu.deputy",
                                                   decision_data={"outcome": "hand_over"})},
        "prospect_reward_requested": {**base, "year": 2027, "case_number": "JL-2027-0001",
                                      "projects": [SimpleNamespace(number="XK-2026-000001",
                                                                   name="华东铸造厂",
                                                                   owner_key="zheng.sales")],
                                      "task": _task(label="年终开发奖励审核")},
        "tier_approval_requested": {**base, "recipient": org.person("li.east"), "kind": "pregrade",
                                    "assessment": assessment, "rows": rows,
                                    "task": _task(label="客户等级初评 2027", allowed_decisions=["approve"])},
        "tier_case_requested": {**base, "kind_label": "A类客户申请",
                                "case": SimpleNamespace(number="AA-2027-0001", requested_by="zheng.sales",
                                                        reason="新品铺货积极", detail={}),
                                "customer": SimpleNamespace(name="某酒行", grade="B", grade_temporary=False,
                                                            territory="east"),
                                "task": _task(choices={})},
    }


WORDS = {  # what the zh-CN reader sees instead
    "approval_requested": ("同意", "驳回", "退回"),
    "approval_cc": ("徐副总（副总经理）",),
    "prospect_approval_requested": ("铸球", "郑业务（业务员）", "已在现有客户名录中", "继续开发"),
    "prospect_decided": ("同意", "徐副总（副总经理）", "结案并移交销售公司", "开发中"),
    "prospect_reward_requested": ("郑业务（业务员）",),
    "tier_approval_requested": ("华东片区", "综合评分"),
    "tier_case_requested": ("华东片区", "郑业务（业务员）"),
}


@pytest.mark.parametrize("event", sorted(WORDS))
def test_a_zh_cn_message_shows_words_not_codes(policy, event):
    title, body = render(event, "zh-CN", _contexts(policy)[event])
    assert codes_in(title + "\n" + body) == []
    for words in WORDS[event]:
        assert words in body


@pytest.mark.parametrize("locale", ["zh-TW", "en"])
@pytest.mark.parametrize("event", sorted(WORDS))
def test_the_other_locales_show_no_codes_either(policy, event, locale):
    title, body = render(event, locale, _contexts(policy)[event])
    assert [c for c in codes_in(title + "\n" + body) if "_" in c or "." in c] == []


def test_an_approval_asks_to_agree_reject_or_send_back_in_those_words(policy):
    _, body = render("approval_requested", "zh-CN", _contexts(policy)["approval_requested"])
    assert "可选决定：同意、驳回、退回" in body.splitlines()


@pytest.mark.parametrize("event", ["approval_requested", "prospect_approval_requested"])
def test_a_task_that_is_not_an_approval_is_not_titled_awaiting_approval(policy, event):
    """Preparing the budget is a to-do (its one decision is "done"): 【待办】, not 【待审批】."""
    context = {**_contexts(policy)[event], "task": _task(label="编制费用预算表", allowed_decisions=["approve"])}
    title, body = render(event, "zh-CN", context)
    assert title.startswith("【待办】") and "待审批" not in title
    assert "已办结" in body and "同意" not in body
    en_title, _ = render(event, "en", context)
    assert en_title.startswith("[To do]")


@pytest.mark.parametrize("event", ["approval_requested", "prospect_approval_requested"])
def test_an_approval_is_still_titled_awaiting_approval(policy, event):
    title, _ = render(event, "zh-CN", {**_contexts(policy)[event], "task": _task()})
    assert title.startswith("【待审批】")


def test_each_kind_of_code_has_words_in_every_locale(policy):
    for kind in (labels.DECISIONS, labels.STATUSES, labels.OUTCOMES, labels.CHANNELS, labels.EVENTS,
                 labels.CLOCKS, labels.METHODS):
        for code, words in kind.items():
            assert len(words) == len(labels.LOCALES) and code not in words[:2], code
    assert labels.person("zheng.sales", policy.organisation) == "郑业务（业务员）"
    assert labels.person("zheng.sales", policy.organisation, "en") == "郑业务 (业务员)"
    assert labels.person("somebody.gone", policy.organisation) == "somebody.gone"
    assert labels.territory("east", policy) == "华东片区"
    assert labels.territory("east", policy, "en") == "East"
    assert labels.product_line("equipment", policy) == "设备"
    assert labels.decision("approve") == "同意"
    assert labels.decision("approve", todo=True) == "已办结"


@pytest.mark.parametrize("locale", labels.LOCALES)
def test_the_inbox_shows_the_same_words_for_decisions_and_statuses(locale):
    from inbox.i18n import translator

    t = translator(locale)
    for code in labels.DECISIONS:
        assert t(code) == labels.decision(code, locale)
    for code in ("pending", "decided", "cancelled", "handling", "archived"):
        assert t(code) == labels.status(code, locale)
    assert t("approve") != "批准"


@pytest.mark.parametrize("locale", labels.LOCALES)
def test_an_overdue_review_is_named_not_coded(policy, locale):
    org = policy.organisation
    title, body = render("prospect_overdue", locale, {
        "policy": policy, "tz": "Asia/Shanghai", "recipient": org.person("xu.deputy"),
        "owner": org.person("zheng.sales"), "case_number": "XK-2026-000001", "level": 2,
        "due_at": DUE, "task": None, "clock_name": "review:attention"})
    assert "review:attention" not in title + body
    assert labels.clock("review:attention", locale) in title
