"""The one notifier: write a message to the outbox with the change that causes it, then send.

Every message is rendered from a template (notifications/templates). The outbox row's
idempotency key makes a repeated step (a resumed or re-run flow) a no-op, so nobody is told
the same thing twice; sending retries with backoff until it succeeds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import quote

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from models import Customer, Notification
from models.db import session_scope
from notifications.render import compose
from notifications.send import deliver
from policy.schema import Policy
from tasks.addresses import checked_email, email_problem
from tasks.deadlines import now

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
# A row claimed for sending longer ago than this belongs to a sender that died.
STALE_CLAIM = timedelta(minutes=5)
# Seconds between tries to record a delivery when the database connection is lost.
RECORD_RETRIES = (0.2, 0.5, 1, 2, 4)


def mail_url(policy: Policy) -> str | None:
    return os.environ.get("KEFU_MAIL_URL") or policy.channels.mail


def person_addresses(person_key: str, policy: Policy) -> list[str]:
    person = policy.organisation.person(person_key)
    urls = list(person.apprise)
    base = mail_url(policy)
    if person.email and base:
        urls.insert(0, _mail_to(base, person.email))  # checked when the policy loaded
    return urls


def customer_addresses(customer: Customer, policy: Policy) -> list[str]:
    """Mail when the customer gave a valid e-mail address, else the SMS gateway, else none."""
    base = mail_url(policy)
    if customer.email and base and email_problem(customer.email) is None:
        return [_mail_to(base, customer.email)]
    if policy.channels.customer_sms:
        return [policy.channels.customer_sms.format(phone=customer.phone)]
    return []


def _mail_to(url: str, address: str) -> str:
    """The mail URL with one recipient. The address is checked (tasks/addresses.py) and
    URL-encoded, so it is one ``to`` and nothing else: never a From, Bcc, Reply-To or server."""
    recipient = quote(checked_email(address), safe="@")
    return f"{url}{'&' if '?' in url else '?'}to={recipient}"


def enqueue(
    session: Session,
    *,
    key: str,
    process: str,
    case_number: str,
    event: str,
    recipient: str,
    addresses: list[str],
    locale: str,
    context: dict,
    unreachable: str = "no address for this recipient in the policy",
    new_only: Callable[[], dict] | None = None,
) -> Notification | None:
    """Put one message in the outbox. Returns None when a message with this key exists.
    With no address the row is kept, unsent, saying why (``unreachable``). ``new_only`` makes
    the part of the context that must not be made for nothing (a signed link, a one-time
    code): called only when the message is new."""
    if session.scalar(select(Notification.id).where(Notification.idempotency_key == key)):
        return None
    if new_only is not None:
        context = {**context, **new_only()}
    message = compose(event, locale, context)
    row = Notification(
        idempotency_key=key, process=process, case_number=case_number, template=event,
        locale=locale, recipient=recipient,
        channel=addresses[0].split("://")[0] if addresses else "none",
        address="\n".join(addresses) or None, title=message.title, body=message.body,
        document=message.document,
        status="pending" if addresses else "no_channel",
        last_error=None if addresses else unreachable,
        created_at=now(), next_attempt_at=now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # a concurrent writer enqueued the same key first
    return row


def notify_person(
    session: Session, policy: Policy, *, key: str, process: str, case_number: str, event: str,
    person_key: str, context: dict, new_only: Callable[[], dict] | None = None,
) -> Notification | None:
    person = policy.organisation.person(person_key)
    return enqueue(
        session, key=f"{key}:{person_key}", process=process, case_number=case_number,
        event=event, recipient=person_key, addresses=person_addresses(person_key, policy),
        locale=person.locale or policy.locale,
        context={"policy": policy, **context, "recipient": person,
                 "tz": policy.calendar.timezone},
        new_only=new_only,
    )


def notify_customer(
    session: Session, policy: Policy, *, key: str, process: str, case_number: str, event: str,
    customer: Customer, context: dict,
) -> Notification | None:
    problem = email_problem(customer.email) if customer.email else None
    return enqueue(
        session, key=f"{key}:customer", process=process, case_number=case_number, event=event,
        recipient="customer", addresses=customer_addresses(customer, policy),
        locale=policy.locale,
        context={"policy": policy, **context, "customer": customer,
                 "tz": policy.calendar.timezone},
        unreachable=f"email: {problem}" if problem else "no address for this customer",
    )


def dispatch_pending(
    *, case_number: str | None = None, ignore_backoff: bool = False, limit: int = 200
) -> dict[str, int]:
    """Send what is due in the outbox. Each row is claimed before sending, so two senders
    never deliver the same row; a failure is retried later with doubling backoff."""
    counts = {"sent": 0, "failed": 0}
    for row_id in pending_ids(case_number=case_number, ignore_backoff=ignore_backoff,
                              limit=limit):
        claimed = claim(row_id)
        if claimed is None:
            continue  # another sender took it
        outcome = record_attempt(row_id, claimed.attempts, deliver(
            claimed.urls, claimed.title, claimed.body, claimed.document))
        counts[outcome] += 1
    return counts


def pending_ids(
    *, case_number: str | None = None, ignore_backoff: bool = False, limit: int = 200
) -> list[int]:
    """The outbox rows due for sending (all of a case's with ``case_number``), oldest first."""
    moment = now()
    with session_scope() as session:
        query = select(Notification.id).where(_sendable(moment), Notification.attempts < MAX_ATTEMPTS)
        if not ignore_backoff:
            query = query.where(Notification.next_attempt_at <= moment)
        if case_number:
            query = query.where(Notification.case_number == case_number)
        return list(session.scalars(query.order_by(Notification.id).limit(limit)))


def _sendable(moment: datetime):
    """Rows waiting to be sent, and rows whose sender died while sending them."""
    return or_(
        Notification.status.in_(("pending", "failed")),
        (Notification.status == "sending") & (Notification.next_attempt_at <= moment - STALE_CLAIM),
    )


class Claimed(NamedTuple):
    """A row this sender has claimed: what to send, where, and the attempts so far."""

    urls: list[str]
    title: str
    body: str
    attempts: int
    document: dict | None


def claim(row_id: int) -> Claimed | None:
    """Mark a row as being sent by this sender, or None when another sender has it or it is
    no longer due."""
    with session_scope() as session:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == row_id, _sendable(now()))
            .values(status="sending", next_attempt_at=now())
        ).rowcount
        row = session.get(Notification, row_id) if claimed else None
        if row is None:
            return None
        return Claimed(row.address.split("\n"), row.title, row.body, row.attempts, row.document)


def record_attempt(row_id: int, attempts: int, error: str | None) -> str:
    """Record one delivery attempt: "sent", or "failed" and when to try again.

    The message is out (or not) whatever the database does next, so a lost connection is
    retried for about 8 s here: a row left claimed would be sent again once the claim goes
    stale (seen in the PostgreSQL fault test, whose connections are dropped every 2 s)."""
    for pause in RECORD_RETRIES:
        try:
            return _record_attempt(row_id, attempts, error)
        except OperationalError:
            time.sleep(pause)
    return _record_attempt(row_id, attempts, error)


def _record_attempt(row_id: int, attempts: int, error: str | None) -> str:
    with session_scope() as session:
        row = session.get(Notification, row_id)
        row.attempts = attempts + 1
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now(), None
            return "sent"
        row.status, row.last_error = "failed", error
        row.next_attempt_at = now() + FIRST_RETRY * (2 ** attempts)
        return "failed"
