"""A process's own checks of what a decision carries (a tier pre-grade's overrides, the
meeting's attendees), run by every path before ``tasks.approvals.decide`` records it: the CLI,
the inbox and the API ask the same questions.

A process provides them as ``check_decision(policy, task, data)`` in ``tasks/<process>/case.py``
(returning the data to record, raising ApprovalError naming the bad field); this module finds it
by that name and imports no process itself (the pattern of ``tasks/case_context.py``).
"""

from __future__ import annotations

import importlib

from models import ApprovalTask
from policy.schema import Policy


def check_decision(policy: Policy, task: ApprovalTask, data: dict) -> dict:
    """The data a decision on ``task`` records, checked by its process (as given when the
    process has no checks of its own)."""
    try:
        module = importlib.import_module(f"tasks.{task.process}.case")
    except ModuleNotFoundError:
        return data
    check = getattr(module, "check_decision", None)
    return data if check is None else check(policy, task, data)
