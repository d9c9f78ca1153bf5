"""The decision form of a waiting flow run, shared by the flow that waits and the waker.

A run waiting for a person is Suspended with this form as its run input (shown in the Prefect
UI). The form proves nothing by itself — anyone who can reach the Prefect API can resume a run
with any input — so it carries no "decided by": a decision typed into it needs the one-time
code the person got with their request (``tasks.links.issue_form_code``), checked against
kefu's database before anything is recorded. The waker resumes runs whose decision kefu
already recorded; such input is never read as a decision.
"""

from __future__ import annotations

from typing import Literal

from runtime.settings import configure

configure()

from prefect.input import RunInput  # noqa: E402
from pydantic import Field  # noqa: E402

# The optional fields a decision may carry; the waker copies them from the recorded decision.
FORM_FIELDS = ("category", "person", "outcome")
MAX_COMMENT = 2000


class DecisionInput(RunInput):
    """The decision form shown on a suspended run in the Prefect UI."""

    code: str = Field(default="", max_length=32,
                      description="验证码 / one-time code from your approval message or inbox")
    decision: Literal["approve", "reject", "send_back"]
    comment: str = Field(default="", max_length=MAX_COMMENT)
    category: str | None = Field(default=None, max_length=64)
    person: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=64)


def pause_key(task_id: int, wakeups: int) -> str:
    """The pause key of a flow run waiting on a task; the flow and the waker agree on it."""
    return f"{pause_key_prefix(task_id)}{wakeups}"


def pause_key_prefix(task_id: int) -> str:
    return f"approval-{task_id}-"
