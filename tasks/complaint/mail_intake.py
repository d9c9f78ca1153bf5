"""Intake by mail: each new mail in the complaints mailbox is a written complaint (书面投诉,
000 D2 §2.2), filed the one way every complaint is (``parse_complaint`` + ``file_complaint``).

Each Message-ID is filed once: the mail's record is written in the filing's transaction, so a
second poll — or two polls at once — file nothing again. A mail that cannot be filed (no text,
an auto-reply, not addressed to the complaints address) is recorded with the reason and not
read again; a database or mailbox outage records nothing, and the next poll tries again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Complaint, MailboxMessage
from models.db import session_scope
from policy.schema import Policy
from tasks.complaint.intake import MAX_CONTENT, ComplaintInput, IntakeError, file_complaint, parse_complaint
from tasks.deadlines import now
from tasks.imap import MailboxAddress, new_mails
from tasks.mail_reader import IncomingMail, read_mail

# A mainland mobile (+86 optional) or a landline with its area code, as customers write them.
_PHONE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}|0[1-9][0-9]{1,2}-?[0-9]{7,8})(?![0-9])")


MAX_NAME = 128  # customers.name


class AlreadyRead(Exception):
    """Another poll recorded this mail first; nothing of this filing is kept."""


@dataclass(frozen=True)
class MailOutcome:
    """What became of one new mail: the case it was filed as, or why it was not."""

    message_id: str
    sender: str
    number: str | None = None
    reason: str | None = None


def poll(policy: Policy, address: MailboxAddress) -> list[MailOutcome]:
    """File every mail in the mailbox not read before; the outcome of each, oldest first."""
    outcomes = []
    for _, raw in new_mails(address, seen=_recorded):
        outcome = file_mail(policy, read_mail(raw))
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def file_mail(policy: Policy, mail: IncomingMail) -> MailOutcome | None:
    """File one mail as a complaint, or record why it cannot be; None when it was read
    before (a mail without a Message-ID is known by its digest only once fetched)."""
    if _recorded([mail.message_id]):
        return None
    try:
        complaint = complaint_from_mail(policy, mail)
    except IntakeError as exc:
        return _refuse(mail, str(exc))
    try:
        filed = file_complaint(policy, complaint, also=lambda session, case: _record(session, mail, case))
    except AlreadyRead:
        return None
    return MailOutcome(mail.message_id, _sender(mail), number=filed.number)


def complaint_from_mail(policy: Policy, mail: IncomingMail) -> ComplaintInput:
    """The 客户投诉表 of a mail: the sender's name and address, a phone number from the text
    (else the policy's ``phone_when_missing``), the subject and text as its content."""
    rules = policy.complaint.mailbox
    if mail.automatic:
        raise IntakeError("content", "an automatic mail (auto-reply, bounce or mailing list)")
    if rules.address and rules.address.lower() not in mail.recipients:
        raise IntakeError("email", f"not addressed to the complaints address {rules.address}")
    found = _PHONE_IN_TEXT.search(f"{mail.subject}\n{mail.text}")
    phone = re.sub(r"[ ]", "", found.group(0)) if found else rules.phone_when_missing
    if not phone:
        raise IntakeError("phone", "the mail names no phone number (complaint.mailbox."
                                   "phone_when_missing is not set)")
    customer = mail.sender_name or mail.sender_address
    if not found and mail.sender_name and mail.sender_address:
        # A customer is a name and a phone: two 王先生 sharing the placeholder would be one
        # customer with one e-mail, and one would get the other's replies.
        customer = f"{mail.sender_name[:MAX_NAME - len(mail.sender_address) - 2]}（{mail.sender_address}）"
    content = "\n\n".join(part for part in (mail.subject, mail.text) if part)
    if len(content) > MAX_CONTENT:  # the whole mail stays in the mailbox
        content = content[:MAX_CONTENT - 1] + "…"
    return parse_complaint(policy, channel=rules.channel,
                           customer=customer[:MAX_NAME], phone=phone,
                           content=content, email=mail.sender_address or None)


def _recorded(message_ids: list[str]) -> set[str]:
    if not message_ids:
        return set()
    found: set[str] = set()
    with session_scope() as session:
        for start in range(0, len(message_ids), 500):
            found.update(session.scalars(select(MailboxMessage.message_id).where(
                MailboxMessage.message_id.in_(message_ids[start:start + 500]))))
    return found


def _record(session: Session, mail: IncomingMail, case: Complaint | None,
            reason: str | None = None) -> None:
    if session.scalar(select(MailboxMessage.id).where(MailboxMessage.message_id == mail.message_id)):
        raise AlreadyRead(mail.message_id)
    session.add(MailboxMessage(
        message_id=mail.message_id, sender=_sender(mail)[:320], subject=mail.subject[:200],
        read_at=now(), complaint_number=case.number if case else None,
        refused_reason=reason[:500] if reason else None))


def _refuse(mail: IncomingMail, reason: str) -> MailOutcome | None:
    try:
        with session_scope() as session:
            _record(session, mail, None, reason)
    except (AlreadyRead, IntegrityError):  # another poll recorded it a moment before
        return None
    return MailOutcome(mail.message_id, _sender(mail), reason=reason)


def _sender(mail: IncomingMail) -> str:
    if mail.sender_name and mail.sender_address:
        return f"{mail.sender_name} <{mail.sender_address}>"
    return mail.sender_address or mail.sender_name or "(no sender)"
