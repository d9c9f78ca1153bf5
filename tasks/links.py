"""Signed, expiring, single-use decision links for approval messages.

A link carries ``{task, person, jti}`` signed with the installation's secret (itsdangerous);
the ``link_tokens`` row makes it expire and work once. The secret comes from
``KEFU_SECRET_KEY`` or a file generated once under the data directory (never the repo).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from models import LinkToken
from models.db import data_dir
from policy.schema import Policy
from tasks.deadlines import calendar_for, now

SALT = "kefu-decision-link"


def secret_key() -> str:
    """KEFU_SECRET_KEY, else ``<data dir>/secret_key`` (created 0600 on first use)."""
    from_env = os.environ.get("KEFU_SECRET_KEY")
    if from_env:
        return from_env
    path = data_dir() / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: two processes starting at once (worker and
        # inbox) agree on one key, and nobody reads a half-written file.
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def inbox_url(policy: Policy) -> str:
    """Where links point: KEFU_INBOX_URL, else the policy's approvals.inbox_url."""
    return (os.environ.get("KEFU_INBOX_URL") or policy.approvals.inbox_url).rstrip("/")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(), salt=SALT)


def issue_link(session: Session, policy: Policy, task_id: int, person_key: str) -> str:
    """A new link for ``person_key`` to decide task ``task_id``; expires after link_ttl."""
    jti = secrets.token_urlsafe(24)
    moment = now()
    session.add(LinkToken(jti=jti, task_id=task_id, person_key=person_key, created_at=moment,
                          expires_at=calendar_for(policy.calendar).add(moment,
                                                                        policy.approvals.link_ttl)))
    token = _serializer().dumps({"t": task_id, "p": person_key, "j": jti})
    return f"{inbox_url(policy)}/l/{token}"


class LinkRefused(ValueError):
    """Why a link does not open: forged, expired, used, or someone else's."""

    def __init__(self, kind: str, message: str, task_id: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.task_id = task_id


@dataclass(frozen=True)
class LinkClaim:
    task_id: int
    person_key: str
    jti: str


def read_link(token: str) -> LinkClaim:
    """The claim of a correctly signed link; LinkRefused("forged") otherwise."""
    try:
        data = _serializer().loads(token)
        return LinkClaim(int(data["t"]), str(data["p"]), str(data["j"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("forged", "this link is not valid (its signature does not match)") from None


def use_link(session: Session, token: str, person_key: str) -> LinkClaim:
    """Check the link for the logged-in ``person_key`` and spend it (atomically, once)."""
    claim = read_link(token)
    row = session.query(LinkToken).filter(LinkToken.jti == claim.jti).one_or_none()
    if row is None or row.task_id != claim.task_id or row.person_key != claim.person_key:
        raise LinkRefused("forged", "this link is not valid (unknown link)", claim.task_id)
    if claim.person_key != person_key:
        raise LinkRefused("other_person",
                          f"this link was sent to {claim.person_key}, not to {person_key}",
                          claim.task_id)
    if row.used_at is not None:
        raise LinkRefused("replayed", "this link was already used; open the task from the inbox",
                          claim.task_id)
    if row.expires_at <= now():
        raise LinkRefused("expired", "this link has expired; open the task from the inbox",
                          claim.task_id)
    spent = session.execute(update(LinkToken).where(LinkToken.id == row.id,
                                                    LinkToken.used_at.is_(None))
                            .values(used_at=now()).execution_options(synchronize_session=False))
    if not spent.rowcount:
        raise LinkRefused("replayed", "this link was already used; open the task from the inbox",
                          claim.task_id)
    return claim


# --- one-time codes for the Prefect UI decision form -------------------------------------------
# The Prefect form is reachable by anyone who reaches the Prefect API, so a decision typed there
# must prove the person: the code sent with their request (or shown in their inbox). It is
# stored hashed in link_tokens (jti "f:" + sha256), bound to one task and one person, expires
# with the links, works once, and every code of a task stops working after MAX_CODE_FAILURES
# wrong codes (the person still decides in the inbox or from a link).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a phone
CODE_LENGTH = 8
MAX_CODE_FAILURES = 5


def _code_jti(task_id: int, code: str) -> str:
    import hashlib

    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return "f:" + hashlib.sha256(f"{secret_key()}:{task_id}:{normal}".encode()).hexdigest()[:62]


def issue_form_code(session: Session, policy: Policy, task_id: int, person_key: str) -> str:
    """A new one-time code with which ``person_key`` may decide task ``task_id`` in the Prefect
    UI form; shown as ``ABCD-EFGH``."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    moment = now()
    session.add(LinkToken(jti=_code_jti(task_id, code), task_id=task_id, person_key=person_key,
                          created_at=moment,
                          expires_at=calendar_for(policy.calendar).add(moment,
                                                                        policy.approvals.link_ttl)))
    return f"{code[:4]}-{code[4:]}"


def form_code_failures(session: Session, task_id: int) -> int:
    from sqlalchemy import func, select

    from models import AuditEntry

    return session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.task_id == task_id, AuditEntry.action == "form_code",
        AuditEntry.outcome == "refused")) or 0


def use_form_code(session: Session, task_id: int, code: str) -> str:
    """The person whose code this is, the code spent (atomically, once); LinkRefused when it
    is missing, wrong, used, expired, or the task had too many wrong codes."""
    if not code or not code.strip():
        raise LinkRefused("no_code", "the form has no code: decide in the inbox, or type the "
                          "code from your approval message", task_id)
    if form_code_failures(session, task_id) >= MAX_CODE_FAILURES:
        raise LinkRefused("locked", f"{MAX_CODE_FAILURES} wrong codes were typed for this task; "
                          "its codes no longer work: decide in the inbox", task_id)
    row = session.query(LinkToken).filter(LinkToken.jti == _code_jti(task_id, code)).one_or_none()
    if row is None or row.task_id != task_id:
        raise LinkRefused("forged", "this code is not valid for this task", task_id)
    if row.used_at is not None:
        raise LinkRefused("replayed", "this code was already used", task_id)
    if row.expires_at <= now():
        raise LinkRefused("expired", "this code has expired: decide in the inbox", task_id)
    spent = session.execute(update(LinkToken).where(LinkToken.id == row.id,
                                                    LinkToken.used_at.is_(None))
                            .values(used_at=now()).execution_options(synchronize_session=False))
    if not spent.rowcount:
        raise LinkRefused("replayed", "this code was already used", task_id)
    return row.person_key
