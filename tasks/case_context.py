"""What a message about a case's approval shows, whatever the process.

Approval actions taken after the flow asked (转交, 加签, 催办, escalation reassignment) render
``approval_requested`` again without the flow's context; they get it from here. A process
provides it as ``case_context(session, policy, case_number)`` in ``tasks/<process>/case.py``;
this module finds it by that name and imports no process itself.
"""

from __future__ import annotations

import importlib

from sqlalchemy.orm import Session

from policy.schema import Policy


def case_context(session: Session, policy: Policy, process: str, case_number: str) -> dict:
    """The template context of a case, from its process's ``tasks/<process>/case.py``."""
    try:
        module = importlib.import_module(f"tasks.{process}.case")
    except ModuleNotFoundError:
        module = None
    provider = getattr(module, "case_context", None)
    if provider is not None:
        return provider(session, policy, case_number)
    return {"case_number": case_number, "complaint": None, "policy": policy}
