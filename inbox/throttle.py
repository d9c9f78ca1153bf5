"""Login throttling (issue 19, item 5): failed logins are counted per account and per client
address; enough of them within the window lock that account or address for a while, each
further lock twice as long. While locked, the password is not even checked, so the answer
says nothing about whether it was right.

The counts live in ``login_throttles`` so that every inbox process and a restart see them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inbox.settings import Throttling
from models import LoginThrottle
from tasks.deadlines import local_time, now

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Lock:
    scope: str
    key: str
    until: datetime

    def describe(self, tz: str) -> str:
        """For the audit log, which people read: the end in the policy's time (``tz``)."""
        return f"{self.scope} {self.key} locked until {local_time(self.until, tz)}"


def address_key(host: str | None) -> str:
    """The address a client is counted under. An IPv6 client is counted by its /64: whoever
    holds one address of a /64 usually holds all of them."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def current_lock(session: Session, account: str, address: str) -> Lock | None:
    """The lock, of the account or of the address, that refuses this login now; None if free."""
    moment = now()
    rows = session.scalars(select(LoginThrottle).where(
        ((LoginThrottle.scope == ACCOUNT) & (LoginThrottle.key == account))
        | ((LoginThrottle.scope == ADDRESS) & (LoginThrottle.key == address))))
    locks = [Lock(r.scope, r.key, r.locked_until) for r in rows
             if r.locked_until is not None and r.locked_until > moment]
    return max(locks, key=lambda lock: lock.until, default=None)


def record_failure(session: Session, limits: Throttling, account: str,
                   address: str) -> list[Lock]:
    """Count one failed login against the account and the address; the locks it started."""
    started = []
    for scope, key, limit in ((ACCOUNT, account, limits.account_failures),
                              (ADDRESS, address, limits.address_failures)):
        lock = _count_failure(_row(session, scope, key), limits, limit)
        if lock is not None:
            started.append(lock)
    return started


def forget_failures(session: Session, account: str) -> None:
    """A successful login clears the account's count and its lock history. The address keeps
    its count: else one valid account would let its owner guess others' passwords forever."""
    row = session.get(LoginThrottle, (ACCOUNT, account))
    if row is not None:
        row.failures, row.window_started_at, row.locks = 0, None, 0


def _count_failure(row: LoginThrottle, limits: Throttling, limit: int) -> Lock | None:
    moment = now()
    if row.locked_until is not None and moment - row.locked_until > limits.longest_lock:
        row.locks = 0  # a quiet day since the last lock: start again at the first lock
    if row.window_started_at is None or moment - row.window_started_at >= limits.window:
        row.window_started_at, row.failures = moment, 0
    row.failures += 1
    if row.failures < limit:
        return None
    row.locks += 1
    row.locked_until = moment + min(limits.first_lock * 2 ** min(row.locks - 1, 20),
                                    limits.longest_lock)
    row.failures, row.window_started_at = 0, None
    return Lock(row.scope, row.key, row.locked_until)


def _row(session: Session, scope: str, key: str) -> LoginThrottle:
    """The row, created if missing and locked for this transaction: two inbox processes
    counting failures of one account at once must not lose one."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(LoginThrottle).values(scope=scope, key=key, failures=0, locks=0)
                    .on_conflict_do_nothing())
    return session.scalars(select(LoginThrottle).where(
        LoginThrottle.scope == scope, LoginThrottle.key == key)
        .with_for_update().execution_options(populate_existing=True)).one()
