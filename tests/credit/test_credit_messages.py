"""The credit process's messages render in every locale with every field filled, in the
reader's script (zh-TW Traditional, zh-CN Simplified)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models import CreditRequest, Customer
from notifications.render import LOCALES
from tests.process_messages import assert_renders_in_locale, escalation, task


def _credit_context(policy) -> dict:
    request = CreditRequest(number="SX-2026-000001", amount=Decimal("12000.00"),
                            ship_on=date(2026, 11, 23), credit_limit=Decimal("9000.00"),
                            excess=Decimal("3000.00"), requested_by="zheng.sales")
    return {"case_number": request.number, "request": request, "policy": policy,
            "customer": Customer(name="某酒行", phone="1"), "tz": "Asia/Shanghai",
            "complaint": None, "recipient": policy.organisation.person("he.sales"),
            "link": "https://inbox.example/l/x"}


def _contexts(policy) -> dict[str, tuple[dict, list[str]]]:
    """event → (context, words the zh-CN message must carry)."""
    decided = task("超授信额开票发货签批", ["approve", "reject"])
    decided.decision, decided.decided_by, decided.comment = "approve", "li.east", "月底前回款"
    return {
        "credit_approval_requested": ({**_credit_context(policy),
                                       "task": task("超授信额开票发货签批", ["approve", "reject"])},
                                      ["SX-2026-000001", "某酒行", "9000.00", "3000.00"]),
        "credit_decided": ({**_credit_context(policy), "task": decided},
                           ["SX-2026-000001", "同意", "月底前回款"]),
        "credit_overdue": (escalation(policy, "SX-2026-000001", "超授信额开票发货签批",
                                      owner="he.sales", recipient="wang.gm"),
                           ["SX-2026-000001", "逾期"]),
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("event", ["credit_approval_requested", "credit_decided",
                                   "credit_overdue"])
def test_message_renders_with_its_case_in_every_locale(policy, event, locale):
    context, words = _contexts(policy)[event]
    assert_renders_in_locale(event, locale, context, words)
