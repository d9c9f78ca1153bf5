"""Local accounts of the policy's people: scrypt password hashes (hashlib, a standard KDF)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from inbox.sessions import end_sessions_of
from models import Account
from policy.schema import Policy
from tasks.deadlines import now

N, R, P = 2**14, 8, 1
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                              p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(mine.hex(), digest)


# A hash to compare against when the account does not exist, so both cases take as long.
_DUMMY = hash_password(secrets.token_hex(8))


def set_password(session: Session, policy: Policy, person: str, password: str) -> int:
    """Create or change the account's password. Every session of the account ends (a copied
    cookie must not outlive the password it was opened with); returns how many did."""
    try:
        policy.organisation.person(person)
    except KeyError:
        raise ValueError(f"person: {person!r} is not a person in the policy") from None
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password: at least {MIN_LENGTH} characters")
    account = session.get(Account, person)
    if account is None:
        session.add(Account(person_key=person, password_hash=hash_password(password),
                            updated_at=now()))
    else:
        account.password_hash = hash_password(password)
        account.updated_at = now()
    return end_sessions_of(session, person, reason="password changed")


def authenticate(session: Session, policy: Policy, person: str, password: str) -> bool:
    account = session.get(Account, person[:64])
    if account is None:
        verify_password(password, _DUMMY)
        return False
    try:
        policy.organisation.person(person)
    except KeyError:
        return False
    return verify_password(password, account.password_hash)
