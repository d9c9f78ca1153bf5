"""Who may read an archived record: the one check every path calls (inbox case page, a
signed link's task page, the API, the CLI's show commands).

A record (an archived complaint, a customer record) has a level — 秘密/机密/绝密 — from its
mark, else its kind's default in the policy (``archives.default_levels``), and the level ends
with its secrecy period (000 D11 §3.4: 保密期限届满 … 自行解密). A level the policy guards
(``archives.guarded_levels``: 机密, 绝密) is read only by the general manager and deputies
(000 D11 §4.1.1), for 机密 the head of the record's department (§4.1.3: 负责该项工作的主管人员),
or by a person holding a current loan: an approved 借阅 not returned and not
past its due time (004 第19–22条). Every answer, yes or no, is written to the audit log.

Shared: it reads models and the policy's ``archives`` section, never a process's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ArchiveRecord, Complaint, Customer
from models.archives import ArchiveRequest, ArchiveRequestStatus, SecrecyMark
from policy.base import Duration
from policy.schema import Policy
from tasks import audit
from tasks.deadlines import now

LEVELS = ("secret", "confidential", "top_secret")   # 秘密, 机密, 绝密 (000 D11 §3.1)
RECORD_KINDS = ("complaint", "customer")


@dataclass(frozen=True)
class Record:
    """An archived record as the rules see it: whose department it is, since when it is kept."""

    kind: str
    key: str
    department: str | None
    since: datetime


@dataclass(frozen=True)
class Decision:
    allowed: bool
    level: str | None          # the level in force now (None: not secret, or its period ended)
    reason: str
    loan: str | None = None    # the loan that allows it


def period_end(since: datetime, period: Duration) -> datetime:
    """000 D11 §3.4: the secrecy period runs from the marking; days and hours as stated."""
    unit = {"minutes": "minutes", "hours": "hours", "days": "days",
            "working_days": "days"}[period.unit]
    return since + timedelta(**{unit: period.amount})


def effective_level(level: str, since: datetime, until: datetime | None, period: Duration,
                    at: datetime) -> str | None:
    """The level in force at ``at``: ``level`` until its secrecy period ends (``until``, else
    ``since`` + the level's period), then none — 000 D11 §3.4: 保密期限届满，自行解密."""
    end = until if until is not None else period_end(since, period)
    return level if at < end else None


def find_record(session: Session, policy: Policy, kind: str, key: str) -> Record | None:
    """The archived record, or None: a complaint counts once archived (000 D2 §4.2)."""
    if kind == "complaint":
        archived = session.scalar(select(ArchiveRecord).where(
            ArchiveRecord.process == "complaint", ArchiveRecord.case_number == key))
        if archived is None:
            return None
        department = session.scalar(select(Complaint.department_key).where(Complaint.number == key))
        return Record(kind, key, department, archived.archived_at)
    if kind == "customer":
        customer = session.scalar(select(Customer).where(Customer.name == key))
        if customer is None or policy.archives is None:
            return None
        return Record(kind, key, policy.archives.customer_department, customer.created_at)
    return None


def level_of(session: Session, policy: Policy, record: Record, at: datetime) -> tuple[str | None, bool]:
    """(the level in force at ``at``, destroyed?)."""
    rules = policy.archives
    mark = session.scalar(select(SecrecyMark).where(SecrecyMark.record_kind == record.kind,
                                                    SecrecyMark.record_key == record.key))
    if mark is not None:
        level = effective_level(mark.level, mark.marked_at, mark.secret_until,
                                rules.secrecy_periods[mark.level], at)
        return level, mark.destroyed_at is not None
    level = rules.default_levels[record.kind]
    return effective_level(level, record.since, None, rules.secrecy_periods[level], at), False


def current_loan(session: Session, person: str, record: Record, at: datetime) -> ArchiveRequest | None:
    """An approved 借阅 of the record by ``person``, lent and not returned, not yet due back."""
    return session.scalar(select(ArchiveRequest).where(
        ArchiveRequest.kind == "borrow", ArchiveRequest.requester_key == person,
        ArchiveRequest.record_kind == record.kind, ArchiveRequest.record_key == record.key,
        ArchiveRequest.status == ArchiveRequestStatus.ON_LOAN,
        ArchiveRequest.lent_at <= at, ArchiveRequest.due_at > at).limit(1))


def readers_of_everything(policy: Policy) -> set[str]:
    from tasks.people import resolve_assignee

    keys = set()
    for ref in policy.archives.readers_of_everything:
        kind, _, arg = ref.partition(":")
        if kind == "role":
            keys |= {p.key for p in policy.organisation.people if arg in p.roles}
        else:
            keys.add(resolve_assignee(ref, policy))
    return keys


def may_read(session: Session, policy: Policy, person: str | None, kind: str, key: str,
             at: datetime | None = None) -> Decision:
    """Whether ``person`` (None: a system, an intake API key) may read the record now."""
    at = at or now()
    if policy.archives is None:
        return Decision(True, None, "the policy has no archives section")
    record = find_record(session, policy, kind, key)
    if record is None:
        return Decision(True, None, "not an archived record")
    level, destroyed = level_of(session, policy, record, at)
    if destroyed:
        return Decision(False, level, "destroyed (001 §6.10)")
    if level is None or level not in policy.archives.guarded_levels:
        return Decision(True, level, "not guarded" if level else "secrecy period ended")
    if person is None:
        return Decision(False, level, f"{level}: only a person with an approved loan reads it")
    if person in readers_of_everything(policy):
        return Decision(True, level, "000 D11 §4.1.1: 副/总经理有权全部知晓")
    if level != "top_secret" and record.department and \
            policy.organisation.department(record.department).head == person:
        return Decision(True, level, "000 D11 §4.1.3: 负责该项工作的主管人员")
    loan = current_loan(session, person, record, at)
    if loan is not None:
        return Decision(True, level, f"loan {loan.number} until {loan.due_at.isoformat()}",
                        loan.number)
    return Decision(False, level, f"{level}: no approved loan (000 D9 §1.5, 004 第19条)")


def check_read(session: Session, policy: Policy, person: str | None, kind: str, key: str, *,
               actor: str, via: str, at: datetime | None = None) -> Decision:
    """:func:`may_read`, audited: ``read_archive`` ok or refused, with the level and why."""
    decision = may_read(session, policy, person, kind, key, at)
    guarded = policy.archives is not None and decision.level in policy.archives.guarded_levels
    if guarded or not decision.allowed:
        audit.record(session, actor=actor, action="read_archive",
                     outcome="ok" if decision.allowed else "refused", via=via, case_number=key,
                     reason=decision.reason, level=decision.level, record_kind=kind,
                     loan=decision.loan)
    return decision


def check_read_alone(policy: Policy, person: str | None, kind: str, key: str, *, actor: str,
                     via: str) -> Decision:
    """:func:`check_read` in a transaction of its own (a refusal is kept)."""
    from models.db import session_scope

    with session_scope() as session:
        return check_read(session, policy, person, kind, key, actor=actor, via=via)
