"""Inbox sessions kept on the server (issue 19, item 6).

A signed cookie alone cannot be taken back: a copy kept from before a logout or a password
change would still open the inbox. So the cookie carries a random token and the session is a
row (``inbox_sessions``) that logout and a password change end. Its end is fixed when it
starts (``approvals.session_ttl`` after the login): using the inbox does not extend it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from models import InboxSession
from policy.schema import Policy
from tasks.deadlines import calendar_for, now

# Ended and expired rows are kept a day (for someone looking into a complaint), then removed.
KEEP_ENDED = timedelta(days=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, policy: Policy, person_key: str) -> tuple[str, InboxSession]:
    """A new session for ``person_key``: the token for the cookie and its row."""
    moment = now()
    token = secrets.token_urlsafe(32)
    row = InboxSession(token_hash=_digest(token), person_key=person_key,
                       csrf=secrets.token_urlsafe(24), created_at=moment,
                       expires_at=calendar_for(policy.calendar).add(moment,
                                                                     policy.approvals.session_ttl))
    session.execute(delete(InboxSession).where(or_(
        InboxSession.expires_at < moment - KEEP_ENDED,
        InboxSession.ended_at < moment - KEEP_ENDED)))
    session.add(row)
    return token, row


def live_session(session: Session, token: str) -> InboxSession | None:
    """The session of this token if it has neither ended nor expired."""
    row = session.get(InboxSession, _digest(token))
    if row is None or row.ended_at is not None or row.expires_at <= now():
        return None
    return row


def end_session(session: Session, token: str, reason: str) -> bool:
    """End one session (logout); False if it had already ended."""
    return _end(session, reason, InboxSession.token_hash == _digest(token)) > 0


def end_sessions_of(session: Session, person_key: str, reason: str) -> int:
    """End every session of an account (its password changed); how many were live."""
    return _end(session, reason, InboxSession.person_key == person_key)


def _end(session: Session, reason: str, which) -> int:
    moment: datetime = now()
    done = session.execute(update(InboxSession)
                           .where(which, InboxSession.ended_at.is_(None),
                                  InboxSession.expires_at > moment)
                           .values(ended_at=moment, end_reason=reason[:32])
                           .execution_options(synchronize_session=False))
    return done.rowcount or 0
