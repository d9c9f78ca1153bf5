"""Who calls the API (``/api/v1``): an API key sent as ``Authorization: Bearer …``
(``kefu api-keys create``). An ``intake`` key files and reads cases for a system (a hotline, a
web form); a ``person`` key acts as its person. Every refusal is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from inbox.api_keys import key_for_token
from models.db import session_scope
from tasks import audit


@dataclass(frozen=True)
class Caller:
    """A live API key: who it acts as in the audit log, and what it may do."""

    key_id: int
    scope: str
    actor: str


def caller(request: Request, authorization: Annotated[str | None, Header(max_length=300)] = None
           ) -> Caller:
    """The live key of the call; 401 (audited) without one, or for an unknown or revoked one."""
    scheme, _, token = (authorization or "").partition(" ")
    found = None
    if scheme.lower() == "bearer" and token.strip():
        with session_scope() as session:
            key = key_for_token(session, token.strip())
            if key is not None:
                found = Caller(key.id, key.scope,
                               key.person_key if key.scope == "person" else f"api:{key.name}")
    if found is None or (found.scope == "person" and not _is_person(request, found.actor)):
        audit.record_alone(actor="anonymous", action=_action(request), outcome="refused",
                           via="api", reason="no API key, or an unknown or revoked one")
        raise HTTPException(401, "a valid API key is required (Authorization: Bearer …)",
                            headers={"WWW-Authenticate": "Bearer"})
    return found


def _is_person(request: Request, key: str) -> bool:
    try:
        request.app.state.policy.organisation.person(key)
    except KeyError:
        return False
    return True


def needs(scope: str, who: Caller, request: Request) -> None:
    if who.scope != scope:
        audit.record_alone(actor=who.actor, action=_action(request), outcome="refused",
                           via="api", reason=f"a {who.scope} key may not do this")
        raise HTTPException(403, f"this needs a {scope} key; yours is a {who.scope} key")


CALLER = Annotated[Caller, Depends(caller)]


def _action(request: Request) -> str:
    """The audit action of a refused call: its method and route (no ids)."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"[:48]


def read_case(who: Caller, kind: str, number: str, view: Callable[[str], dict]) -> dict:
    """A case's view for an API caller (``kind``: complaint, prospect): audited as
    ``view_<kind>``, and one 404 (audited as refused) when there is no such case. An archived
    complaint of a guarded level (机密/绝密) is read only by a person key whose person holds a
    current loan (tasks/confidentiality.py): 403 otherwise, audited."""
    if kind == "complaint":
        from policy.load import load_policy
        from tasks.confidentiality import check_read_alone

        person = who.actor if who.scope == "person" else None
        decision = check_read_alone(load_policy(), person, "complaint", number, actor=who.actor,
                                    via="api")
        if not decision.allowed:
            raise HTTPException(403, f"{kind} {number} is an archive you may not read: "
                                     f"{decision.reason}")
    try:
        shown = view(number)
    except LookupError:
        audit.record_alone(actor=who.actor, action=f"view_{kind}", outcome="refused", via="api",
                           case_number=number, reason=f"no such {kind}")
        raise HTTPException(404, f"{kind} {number} does not exist") from None
    audit.record_alone(actor=who.actor, action=f"view_{kind}", via="api", case_number=number)
    return shown
