"""The records every case keeps — its clocks, approval tasks, story and messages — read one
way for every process's ``show`` view and dashboard card; and the two look-ups every process
starts from: its section of the policy, and its case by number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApprovalTask, CaseEvent, Clock, Notification
from policy.schema import Policy
from tasks.approvals import task_view

Row = TypeVar("Row")


def policy_section(policy: Policy, name: str) -> Any:
    """The process's section of the policy (``policy.<name>``: ``visit``, ``credit`` …), or
    LookupError when the installation's policy does not run that process."""
    section = getattr(policy, name)
    if section is None:
        raise LookupError(f"policy {policy.name} has no {name} section")
    return section


def by_number(session: Session, model: type[Row], number: str, what: str,
              error: Callable[[str], Exception] = LookupError) -> Row:
    """The case of ``model`` (a table with ``number``) numbered ``number``, or ``error`` saying
    "``{what} {number}`` does not exist" (a process whose input errors name their field passes
    its own, e.g. ``partial(SurveyError, "round")``)."""
    found = session.scalar(select(model).where(model.number == number))
    if found is None:
        raise error(f"{what} {number} does not exist")
    return found


def rows(session: Session, model, number: str) -> list:
    """Every row of ``model`` (a table with ``case_number``) for the case, oldest first;
    clocks by round, then as created."""
    order = (model.round, model.id) if model is Clock else (model.id,)
    return list(session.scalars(select(model).where(model.case_number == number).order_by(*order)))


def approvals(session: Session, number: str) -> list[dict]:
    return [task_view(task) for task in rows(session, ApprovalTask, number)]


def story(session: Session, number: str) -> list[dict]:
    """The case's history (CaseEvent), as the cards and ``--json`` show it."""
    return [{"at": iso(e.at), "kind": e.kind, "actor": e.actor, **e.detail}
            for e in rows(session, CaseEvent, number)]


def messages(session: Session, number: str) -> list[dict]:
    """The case's outbox rows: who was told what, how, and whether it went out."""
    return [{"id": n.id, "template": n.template, "recipient": n.recipient, "channel": n.channel,
             "status": n.status, "attempts": n.attempts, "title": n.title,
             "sent_at": iso(n.sent_at)} for n in rows(session, Notification, number)]


def iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def uncertain_calendar(session: Session, number: str) -> list[dict]:
    """The years of the case's open deadlines whose holidays are only estimated or unknown
    (``tasks.deadlines.uncertain_years``): what its card warns about (issue 21 §5)."""
    from policy.load import load_policy
    from tasks.deadlines import uncertain_years

    due = session.scalars(select(Clock.due_at).where(Clock.case_number == number,
                                                     Clock.met_at.is_(None)))
    return uncertain_years(load_policy(), due)
