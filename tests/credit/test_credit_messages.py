"""The credit process's messages render in every locale with every field filled, in the
reader's script (zh-TW Traditional, zh-CN Simplified)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from models import CreditRequest, Customer
from notifications.render import LOCALES, render

DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _task(label: str, decisions: list[str], **extra) -> SimpleNamespace:
    return SimpleNamespace(id=7, label=label, step="s", due_at=DUE, round=1,
                           allowed_decisions=decisions, choices={}, decision=None,
                           decided_by=None, comment=None, **extra)


def _credit_context(policy) -> dict:
    request = CreditRequest(number="SX-2026-000001", amount=Decimal("12000.00"),
                            ship_on=date(2026, 11, 23), credit_limit=Decimal("9000.00"),
                            excess=Decimal("3000.00"), requested_by="zheng.sales")
    return {"case_number": request.number, "request": request, "policy": policy,
            "customer": Customer(name="某酒行", phone="1"), "tz": "Asia/Shanghai",
            "complaint": None, "recipient": policy.organisation.person("he.sales"),
            "link": "https://inbox.example/l/x"}


def _escalation(policy, number: str, label: str) -> dict:
    return {"case_number": number, "clock_name": "approval:s", "process": "x", "due_at": DUE,
            "level": 1, "owner": policy.organisation.person("he.sales"),
            "task": _task(label, ["approve"]), "inbox_url": "https://inbox.example",
            "case_url": "https://inbox.example/tasks/7", "policy": policy,
            "tz": "Asia/Shanghai", "recipient": policy.organisation.person("wang.gm")}


def _contexts(policy) -> dict[str, tuple[dict, list[str]]]:
    """event → (context, words the zh-CN message must carry)."""
    decided = _task("超授信额开票发货签批", ["approve", "reject"])
    decided.decision, decided.decided_by, decided.comment = "approve", "li.east", "月底前回款"
    return {
        "credit_approval_requested": ({**_credit_context(policy),
                                       "task": _task("超授信额开票发货签批", ["approve", "reject"])},
                                      ["SX-2026-000001", "某酒行", "9000.00", "3000.00"]),
        "credit_decided": ({**_credit_context(policy), "task": decided},
                           ["SX-2026-000001", "同意", "月底前回款"]),
        "credit_overdue": (_escalation(policy, "SX-2026-000001", "超授信额开票发货签批"),
                           ["SX-2026-000001", "逾期"]),
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("event", ["credit_approval_requested", "credit_decided",
                                   "credit_overdue"])
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
