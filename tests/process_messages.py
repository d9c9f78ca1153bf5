"""What a process's message tests share: a task as the templates read it, the context of an
overdue clock's escalation, and one message rendered and checked in a reader's locale (the
case number in title and body, nothing left empty, the zh-CN message in Simplified with the
words it must carry, the zh-TW one in Traditional)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from notifications.render import render
from tasks.text import simplified

DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def task(label: str, decisions: list[str], **extra) -> SimpleNamespace:
    return SimpleNamespace(id=7, label=label, step="s", due_at=DUE, round=1,
                           allowed_decisions=decisions, choices={}, decision=None,
                           decided_by=None, comment=None, **extra)


def escalation(policy, number: str, label: str, *, owner: str, recipient: str) -> dict:
    """The context of ``<process>_overdue``: ``owner``'s task ``label`` is late and
    ``recipient`` is told."""
    return {"case_number": number, "clock_name": "approval:s", "process": "x", "due_at": DUE,
            "level": 1, "owner": policy.organisation.person(owner),
            "task": task(label, ["approve"]), "inbox_url": "https://inbox.example",
            "case_url": "https://inbox.example/tasks/7", "policy": policy,
            "tz": "Asia/Shanghai", "recipient": policy.organisation.person(recipient)}


def assert_renders_in_locale(event: str, locale: str, context: dict, words: list[str]) -> None:
    title, body = render(event, locale, context)
    assert context["case_number"] in title and context["case_number"] in body
    assert "{{" not in body and "None" not in title + body
    if locale == "zh-CN":
        assert all(w in title + body for w in words), (title, body)
        assert simplified(title + body) == title + body
    if locale == "zh-TW":
        assert simplified(title + body) != title + body  # written in Traditional
