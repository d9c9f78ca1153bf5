"""Every message a person or customer receives renders in both locales from its template."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from models import Complaint, Customer
from notifications.render import LOCALES, TEMPLATES, events
from notifications.render import render as _render
from tasks.text import simplified


def render(event: str, locale: str, context: dict) -> tuple[str, str]:
    """A rendered message folded to Simplified, so one expectation covers zh-CN and zh-TW
    (tests/test_locales.py checks each locale's script)."""
    title, body = _render(event, locale, context)
    return simplified(title), simplified(body)

TZ = "Asia/Shanghai"
NUMBER = "TS-2026-0042"
# 2026-12-02 10:00 UTC = 18:00 Shanghai: close of business, three working days after receipt.
DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DUE_LOCAL = "2026-12-02 18:00"
RECEIVED = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
RECEIVED_LOCAL = "2026-11-27 16:00"

EVENTS = ("approval_requested", "superior_informed", "complaint_reply", "feedback_form",
          "escalation")


def _complaint(**overrides) -> Complaint:
    values = dict(
        number=NUMBER, policy_name="distillery-d2", channel="phone",
        content="酒的口感有异味，包装破损", received_at=RECEIVED, resolution=None, upheld=None,
        procedure=None, important=False,
    )
    values.update(overrides)
    return Complaint(**values)


def _customer() -> Customer:
    return Customer(name="李先生", phone="13800000000", created_at=RECEIVED)


def _task(**overrides) -> SimpleNamespace:
    values = dict(id=17, label="投诉处理", step="handling", due_at=DUE, round=1,
                  allowed_decisions=["approve", "reject", "send_back"])
    values.update(overrides)
    return SimpleNamespace(**values)


def _case(policy, *, routed: bool = True, **complaint) -> dict:
    org = policy.organisation
    return {
        "complaint": _complaint(**complaint),
        "category": policy.complaint.category("quality") if routed else None,
        "department": org.department("quality") if routed else None,
        "handler": org.person("chen.qe") if routed else None,
        "policy": policy,
        "tz": TZ,
    }


def _contexts(policy, routed: bool) -> dict[str, dict]:
    org = policy.organisation
    case = _case(policy, routed=routed)
    return {
        "approval_requested": {
            **case, "task": _task(), "recipient": org.person("chen.qe"),
            "link": "https://inbox.distillery.example/l/abc.def",
        },
        "superior_informed": {**case, "recipient": org.person("liu.quality")},
        "complaint_reply": {**case, "promise": DUE if routed else None,
                            "customer": _customer()},
        "feedback_form": {
            **_case(policy, routed=routed, resolution="更换同批次产品两箱", upheld=True),
            "criticism": None, "customer": _customer(),
        },
        "escalation": {
            "case_number": NUMBER, "clock_name": "handling", "due_at": DUE, "level": 2,
            "owner": org.person("chen.qe"), "task": _task() if routed else None,
            "recipient": org.person("wang.gm"), "tz": TZ,
        },
    }


def _assert_clean(title: str, body: str) -> None:
    for text in (title, body):
        assert "{{" not in text and "{%" not in text
        assert "None" not in text
        assert text.strip()


def test_every_event_has_a_template_in_both_locales():
    assert set(EVENTS) <= events()
    for event in EVENTS:
        for locale in LOCALES:
            assert (TEMPLATES / f"{event}.{locale}.j2").exists()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("routed", [True, False], ids=["routed", "unrouted"])
@pytest.mark.parametrize("event", EVENTS)
def test_message_names_the_case_and_leaves_nothing_unfilled(policy, event, locale, routed):
    title, body = render(event, locale, _contexts(policy, routed)[event])
    assert NUMBER in title
    assert NUMBER in body
    _assert_clean(title, body)


@pytest.mark.parametrize("locale", LOCALES)
def test_approval_request_gives_due_time_in_shanghai_and_how_to_decide(policy, locale):
    title, body = render("approval_requested", locale,
                         _contexts(policy, routed=True)["approval_requested"])
    assert DUE_LOCAL in title
    assert DUE_LOCAL in body
    assert "https://inbox.distillery.example/l/abc.def" in body
    assert "投诉处理" in title


def test_no_template_hands_out_a_command_to_decide_as_someone():
    """Issue 19: a ready ``kefu approvals decide N --as <assignee>`` line was a claim of
    identity anyone could type; the signed link and the Prefect form code replace it."""
    for path in TEMPLATES.glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        assert "approvals decide" not in text and "cli" not in text, path.name


FORM_CODE_LINE = {"zh-CN": "Prefect 表单验证码：K7QM-P3XW", "zh-TW": "Prefect 表單驗證碼：K7QM-P3XW",
                  "en": "Prefect form code: K7QM-P3XW"}


@pytest.mark.parametrize("locale", LOCALES)
def test_approval_request_shows_the_prefect_form_code_only_when_there_is_one(policy, locale):
    context = _contexts(policy, routed=True)["approval_requested"]
    _, body = _render("approval_requested", locale, {**context, "form_code": "K7QM-P3XW"})
    assert FORM_CODE_LINE[locale] in body.splitlines()
    _, without = _render("approval_requested", locale, context)
    assert "Prefect" not in without


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("event", EVENTS)
def test_every_message_has_a_document_for_html_and_robots_with_no_marks_left(policy, event,
                                                                              locale):
    from markupsafe import escape

    from notifications.formats import html, markdown
    from notifications.render import compose

    message = compose(event, locale, _contexts(policy, routed=True)[event])
    page = html(message.document)
    for text in (message.title, message.body, page, markdown(message.document)):
        assert not set(text) & {"\ue000", "\ue001", "\ue002"}
    assert "\n" not in message.title and str(escape(message.title)) in page
    assert (message.document["action"] is not None) == (event == "approval_requested")


@pytest.mark.parametrize("locale", LOCALES)
def test_approval_request_names_a_later_round(policy, locale):
    context = {**_contexts(policy, routed=True)["approval_requested"], "task": _task(round=2)}
    _, body = render("approval_requested", locale, context)
    assert "2" in body and ("第2轮" in body or "round 2" in body)


@pytest.mark.parametrize("locale", LOCALES)
def test_customer_reply_promises_an_answer_by_the_due_time(policy, locale):
    title, body = render("complaint_reply", locale,
                         _contexts(policy, routed=True)["complaint_reply"])
    assert DUE_LOCAL in body
    assert RECEIVED_LOCAL in body
    assert "陈工" in body


def test_customer_reply_is_in_traditional_chinese(policy):
    _, body = render("complaint_reply", "zh-CN", _contexts(policy, routed=True)["complaint_reply"])
    assert "质量部" in body
    assert "李先生" in body


@pytest.mark.parametrize("locale", LOCALES)
def test_superior_is_told_who_handles_the_unanswered_complaint(policy, locale):
    _, body = render("superior_informed", locale,
                     _contexts(policy, routed=True)["superior_informed"])
    assert "陈工" in body
    assert RECEIVED_LOCAL in body


@pytest.mark.parametrize("locale", LOCALES)
def test_feedback_form_tells_the_customer_the_result(policy, locale):
    _, body = render("feedback_form", locale, _contexts(policy, routed=True)["feedback_form"])
    assert "更换同批次产品两箱" in body


@pytest.mark.parametrize("locale", LOCALES)
def test_feedback_form_tells_the_customer_the_penalty_of_a_public_criticism(policy, locale):
    context = {
        **_contexts(policy, routed=True)["feedback_form"],
        "criticism": {"person": "吴专员", "penalty": "罚款200元"},
    }
    title, body = render("feedback_form", locale, context)
    assert "罚款200元" in body
    assert "吴专员" in body
    _assert_clean(title, body)


@pytest.mark.parametrize("locale", LOCALES)
def test_feedback_form_with_criticism_but_no_named_person(policy, locale):
    context = {
        **_contexts(policy, routed=True)["feedback_form"],
        "criticism": {"person": None, "penalty": None},
    }
    title, body = render("feedback_form", locale, context)
    _assert_clean(title, body)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("upheld", [True, False, None])
def test_feedback_form_renders_whatever_the_finding(policy, locale, upheld):
    context = {**_contexts(policy, routed=True)["feedback_form"],
               "complaint": _complaint(upheld=upheld)}
    title, body = render("feedback_form", locale, context)
    _assert_clean(title, body)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("clock_name", ["register", "reply", "handling", "feedback",
                                        "approval:quality_review"])
def test_escalation_names_the_owner_level_and_due_time(policy, locale, clock_name):
    context = {**_contexts(policy, routed=False)["escalation"], "clock_name": clock_name}
    title, body = render("escalation", locale, context)
    assert NUMBER in title
    assert DUE_LOCAL in body
    assert "陈工" in title
    assert "2" in title
    _assert_clean(title, body)


@pytest.mark.parametrize("locale", LOCALES)
def test_escalation_of_an_approval_names_the_task(policy, locale):
    title, body = render("escalation", locale, _contexts(policy, routed=True)["escalation"])
    assert "投诉处理" in body
    assert "17" in body
    _assert_clean(title, body)


@pytest.mark.parametrize("process", ["new_customer", "tier"])
@pytest.mark.parametrize("event", ["approval_requested", "approval_cc", "approval_nudge"])
@pytest.mark.parametrize("locale", LOCALES)
def test_a_handed_on_approval_of_another_process_renders_without_a_complaint(policy, process,
                                                                            event, locale):
    """转交 / 加签 / 催办 re-send a request with only the case's generic context (what
    tasks/case_context.py gives a case its process has nothing more for; the new-customer
    process now reads its project from the database, which this test has not)."""
    context = {"case_number": "XK-2026-000001", "complaint": None, "policy": policy,
               "recipient": policy.organisation.person("xu.deputy"), "tz": "Asia/Shanghai",
               "by": policy.organisation.person("zheng.sales"), "link": "https://inbox/l/abc", "inbox_url": "https://inbox/",
               "task": SimpleNamespace(label="立项审核", due_at=datetime(2026, 11, 30, tzinfo=UTC),
                                       round=1, allowed_decisions=["approve", "reject"],
                                       assignee_key="xu.deputy", case_number="XK-2026-000001")}
    title, body = render(event, locale, context)
    assert "XK-2026-000001" in title and "立项审核" in body
