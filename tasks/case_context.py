"""What a message about a case's approval shows, whatever the process."""

from __future__ import annotations

from sqlalchemy.orm import Session

from policy.schema import Policy


def case_context(session: Session, policy: Policy, process: str, case_number: str) -> dict:
    """The template context of a case (the complaint's, for complaints)."""
    if process == "complaint":
        from tasks.complaint_case import get, message_context

        return message_context(get(session, case_number), policy)
    return {"case_number": case_number, "complaint": None, "policy": policy}
