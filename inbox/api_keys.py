"""API keys of the HTTP API (``kefu api-keys``): created by an admin, shown once, kept hashed.

A token is 32 random bytes; the table keeps its SHA-256 (a slow hash buys nothing against a
token that cannot be guessed), so a copy of the table opens nothing. A revoked key is refused.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiKey
from policy.schema import Policy
from tasks.deadlines import now

SCOPES = ("intake", "person")
PREFIX = "kefu_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, policy: Policy, name: str, scope: str,
               person: str | None = None) -> str:
    """Store a new key and return its token (the only time it is seen)."""
    if not _NAME.match(name):
        raise ValueError(f"--name: {name!r}: lower-case letters, digits, . _ - (at most 48)")
    if scope not in SCOPES:
        raise ValueError(f"--scope: {scope!r} is not one of {', '.join(SCOPES)}")
    if scope == "person":
        if not person:
            raise ValueError("--person: a person key acts as someone; name them")
        try:
            policy.organisation.person(person)
        except KeyError:
            raise ValueError(f"--person: {person!r} is not a person in the policy") from None
    elif person:
        raise ValueError("--person: only a person key acts as a person")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ValueError(f"--name: a key named {name!r} exists (names are never reused)")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, token_hash=token_hash(token), scope=scope, person_key=person,
                       created_at=now()))
    return token


def revoke_key(session: Session, name: str) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise LookupError(f"no API key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = now()
    return key


def all_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def key_for_token(session: Session, token: str) -> ApiKey | None:
    """The live key the token belongs to; None for an unknown or revoked one."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.token_hash == token_hash(token)))
    return key if key is not None and key.revoked_at is None else None
