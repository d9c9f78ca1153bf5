"""The survey's messages render in every locale with every field filled, in the reader's
script (zh-TW Traditional, zh-CN Simplified)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from models import CorrectiveAction, SurveyRound
from notifications.render import LOCALES, render

DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _task(label: str, decisions: list[str], **extra) -> SimpleNamespace:
    return SimpleNamespace(id=7, label=label, step="s", due_at=DUE, round=1,
                           allowed_decisions=decisions, choices={}, decision=None,
                           decided_by=None, comment=None, **extra)


def _survey_context(policy) -> dict:
    survey = SurveyRound(number="MY-2026", year=2026, status="capa",
                         results={"service": {"answers": 10, "satisfied": 8, "rate": 80.0}},
                         below_target=["service"])
    capa = CorrectiveAction(round=1, aspects=["service"], owner_key="sun.admin",
                            plan="送货服务培训", due_at=DUE, status="approval")
    aspects = [{"key": "service", "name": "服务质量", "name_en": "service quality",
                "answers": 10, "satisfied": 8, "rate": 80.0, "below": True}]
    return {"case_number": "MY-2026", "survey": survey, "capa": capa, "aspects": aspects,
            "target": 90.0, "policy": policy, "tz": "Asia/Shanghai", "complaint": None,
            "recipient": policy.organisation.person("zhao.director"),
            "link": "https://inbox.example/l/x", "form_code": "K7QM-P3XW"}


def _escalation(policy, number: str, label: str) -> dict:
    return {"case_number": number, "clock_name": "approval:s", "process": "x", "due_at": DUE,
            "level": 1, "owner": policy.organisation.person("sun.admin"),
            "task": _task(label, ["approve"]), "inbox_url": "https://inbox.example",
            "case_url": "https://inbox.example/tasks/7", "policy": policy,
            "tz": "Asia/Shanghai", "recipient": policy.organisation.person("zhao.director")}


def _contexts(policy) -> dict[str, tuple[dict, list[str]]]:
    """event → (context, words the zh-CN message must carry)."""
    return {
        "survey_requested": ({**_survey_context(policy),
                              "task": _task("审批纠正预防措施计划", ["approve", "send_back"])},
                             ["MY-2026", "服务质量", "80.0%", "送货服务培训", "2026-12-02 18:00"]),
        "survey_overdue": (_escalation(policy, "MY-2026", "制定纠正预防措施计划"),
                           ["MY-2026", "制定纠正预防措施计划", "孙主任"]),
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("event", ["survey_requested", "survey_overdue"])
def test_message_renders_with_its_case_in_every_locale(policy, event, locale):
    from tasks.text import simplified

    context, words = _contexts(policy)[event]
    title, body = render(event, locale, context)
    assert context["case_number"] in title and context["case_number"] in body
    assert "{{" not in body and "None" not in title + body
    if locale == "zh-CN":
        assert all(w in title + body for w in words), (title, body)
        assert simplified(title + body) == title + body
    if locale == "zh-TW":
        assert simplified(title + body) != title + body  # written in Traditional
