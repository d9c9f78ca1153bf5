"""The inbox's security settings: login throttling from the environment, the session lifetime
from the policy, the cookie's ``Secure`` flag from the inbox's public address.

Throttling is an operator's choice for one installation, not a rule of the business, so it
is read from ``KEFU_INBOX_*`` variables rather than the policy file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from policy.base import Duration
from policy.schema import Policy
from tasks.links import inbox_url


@dataclass(frozen=True)
class Throttling:
    """5 failures in 15 minutes lock an account for 15 minutes; each further lock lasts twice
    the one before, at most a day. An address (an office behind one NAT has many people) may
    fail 20 times before it is locked the same way."""

    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    first_lock: timedelta = timedelta(minutes=15)
    longest_lock: timedelta = timedelta(hours=24)


def _span(name: str, default: timedelta) -> timedelta:
    text = os.environ.get(name)
    if not text:
        return default
    span = Duration.parse(text)
    units = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1),
             "days": timedelta(days=1)}
    if span.unit not in units or span.amount <= 0:
        raise ValueError(f"{name}: {text!r} must be a positive number of minutes, hours or days")
    return span.amount * units[span.unit]


def _count(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{name}: {text!r} must be a whole number of at least 1")
    return int(text)


def throttling() -> Throttling:
    """The throttling settings of this process (``KEFU_INBOX_LOGIN_*``), defaults otherwise."""
    base = Throttling()
    return Throttling(
        account_failures=_count("KEFU_INBOX_LOGIN_FAILURES", base.account_failures),
        address_failures=_count("KEFU_INBOX_ADDRESS_FAILURES", base.address_failures),
        window=_span("KEFU_INBOX_LOGIN_WINDOW", base.window),
        first_lock=_span("KEFU_INBOX_LOGIN_LOCK", base.first_lock),
        longest_lock=_span("KEFU_INBOX_LOGIN_LOCK_MAX", base.longest_lock))


def served_over_https(policy: Policy) -> bool:
    """Whether people reach the inbox over https (KEFU_INBOX_URL / approvals.inbox_url): then
    the session cookie is ``Secure`` and ``__Host-`` prefixed, and browsers are told HSTS."""
    return inbox_url(policy).lower().startswith("https://")
