"""The survey's messages render in every locale with every field filled, in the reader's
script (zh-TW Traditional, zh-CN Simplified)."""

from __future__ import annotations

import pytest

from models import CorrectiveAction, SurveyRound
from notifications.render import LOCALES
from tests.process_messages import DUE, assert_renders_in_locale, escalation, task


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


def _contexts(policy) -> dict[str, tuple[dict, list[str]]]:
    """event → (context, words the zh-CN message must carry)."""
    return {
        "survey_requested": ({**_survey_context(policy),
                              "task": task("审批纠正预防措施计划", ["approve", "send_back"])},
                             ["MY-2026", "服务质量", "80.0%", "送货服务培训", "2026-12-02 18:00"]),
        "survey_overdue": (escalation(policy, "MY-2026", "制定纠正预防措施计划",
                                      owner="sun.admin", recipient="zhao.director"),
                           ["MY-2026", "制定纠正预防措施计划", "孙主任"]),
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("event", ["survey_requested", "survey_overdue"])
def test_message_renders_with_its_case_in_every_locale(policy, event, locale):
    context, words = _contexts(policy)[event]
    assert_renders_in_locale(event, locale, context, words)
