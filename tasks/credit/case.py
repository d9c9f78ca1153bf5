"""The steps of 授信规定 and 超授信额开票发货 (004 D2): goods payments make a customer's credit
limit; a shipment over it waits for the signature its excess needs, and the decision stays on
the customer. Each step is one transaction and idempotent."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ApprovalTask, CreditPayment, CreditRequest, Customer
from models.db import session_scope
from policy.credit.schema import CreditPolicy
from policy.schema import Policy
from tasks import audit, events, tables
from tasks.approvals import ApprovalRequest, request_approval
from tasks.case_records import by_number, policy_section
from tasks.credit.rules import (
    PROCESS,
    CreditError,
    credit_limit,
    is_territory_manager,
    parse_amount,
    parse_day,
    signature,
    territory_manager,
    window,
)
from tasks.deadlines import calendar_for, now
from tasks.notify import notify_person
from tasks.people import resolve_assignee
from tasks.text import one_line

SIGNATURE = "credit_signature"
MAX_LISTED = 10
# Column names of a payments file, in English or as the finance office writes them.
COLUMNS = {"customer": ("customer", "客户", "客戶"), "amount": ("amount", "金额", "金額"),
           "paid_on": ("paid_on", "日期", "回款日期"), "phone": ("phone", "电话", "電話")}


def rules_of(policy: Policy) -> CreditPolicy:
    return policy_section(policy, "credit")


def today(policy: Policy) -> date:
    return now().astimezone(calendar_for(policy.calendar).tz).date()


def find_customer(session: Session, name: str, phone: str | None = None) -> Customer:
    """The customer of that name (and phone, where two share a name)."""
    name = (name or "").strip()
    if not name:
        raise CreditError("customer", "the customer's name is required")
    query = select(Customer).where(Customer.name == name)
    if phone:
        query = query.where(Customer.phone == phone.strip())
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise CreditError("customer", f"no customer {name!r}{' with that phone' if phone else ''}"
                                      f" (customers are registered by `kefu customers import` or "
                                      f"`kefu new-customer register`)")
    if len(found) > 1:
        raise CreditError("customer", f"two customers are named {name!r}; name one with --phone")
    return found[0]


def payments_of(session: Session, customer_id: int) -> list[tuple[date, Decimal]]:
    return [(p.paid_on, p.amount) for p in session.scalars(
        select(CreditPayment).where(CreditPayment.customer_id == customer_id))]


def limit_on(session: Session, policy: Policy, customer: Customer, ship_on: date) -> Decimal:
    return credit_limit(payments_of(session, customer.id), ship_on, rules_of(policy).window_days)


# --- payments ----------------------------------------------------------------------------

def record_payment(policy: Policy, *, customer: str, amount: str, paid_on: str | None,
                   by: str, phone: str | None = None, note: str | None = None) -> dict:
    """One goods payment received (回款); a day in the future is refused."""
    rules_of(policy)
    value = parse_amount("amount", amount)
    day = parse_day("paid_on", paid_on) if paid_on else today(policy)
    if day > today(policy):
        raise CreditError("paid_on", f"{day} is in the future")
    with session_scope() as session:
        found = find_customer(session, customer, phone)
        session.add(CreditPayment(customer_id=found.id, amount=value, paid_on=day,
                                  recorded_at=now(), recorded_by=by,
                                  note=one_line(note)[:256] if note else None))
        audit.record(session, actor=by, action="credit_payment", via="cli", customer=found.name,
                     amount=str(value), paid_on=day.isoformat())
        return {"customer": found.name, "amount": str(value), "paid_on": day.isoformat(),
                "limit_today": str(limit_on(session, policy, found, today(policy)))}


def _column(cells: dict[str, str], field: str) -> str:
    return next((cells[name] for name in COLUMNS[field] if name in cells), "")


def import_payments(policy: Policy, path: Path, by: str) -> dict:
    """A payments file (.csv in UTF-8 or GB18030, or .xlsx) with columns customer, amount,
    paid_on (客户, 金额, 日期) and optionally phone: every row is checked first; one bad cell
    and nothing is imported."""
    rules_of(policy)
    try:
        table = tables.read_table(path)
    except tables.TableError as exc:
        raise CreditError("file", str(exc)) from None
    missing = [f for f in ("customer", "amount", "paid_on")
               if not any(name in table[0].cells for name in COLUMNS[f])]
    if missing:
        raise CreditError("file", f"row 1: missing column(s) {', '.join(missing)}")
    errors: list[str] = []
    rows: list[tuple[int, Customer, Decimal, date]] = []
    with session_scope() as session:
        for row in table:
            try:
                customer = find_customer(session, _column(row.cells, "customer"),
                                         _column(row.cells, "phone") or None)
                amount = parse_amount("amount", tables.number_text(_column(row.cells, "amount")))
                day = parse_day("paid_on", _column(row.cells, "paid_on"))
                if day > today(policy):
                    raise CreditError("paid_on", f"{day} is in the future")
            except CreditError as bad:
                errors.append(f"row {row.number}, column {bad.field}: "
                              f"{str(bad).split(': ', 1)[1]}")
                continue
            rows.append((row.number, customer, amount, day))
        if errors:
            more = f" … and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
            raise CreditError("file", f"{'; '.join(errors[:MAX_LISTED])}{more} "
                                      f"({len(errors)} error(s); nothing imported)")
        moment = now()
        for number, customer, amount, day in rows:
            session.add(CreditPayment(customer_id=customer.id, amount=amount, paid_on=day,
                                      recorded_at=moment, recorded_by=by,
                                      note=f"{path.name} row {number}"[:256]))
        audit.record(session, actor=by, action="credit_import", via="cli", file=path.name,
                     rows=len(rows))
        return {"payments": len(rows), "total": str(sum((r[2] for r in rows), Decimal(0)))}


# --- a shipment ----------------------------------------------------------------------------

def request_shipment(policy: Policy, *, customer: str, amount: str, ship_on: str | None,
                     by: str, phone: str | None = None) -> CreditRequest:
    """Check a shipment (开票发货) against the customer's limit on its day: within it, it is
    recorded as allowed (004 D2 §2.1); over it, the request waits for the band's signer
    (§2.2.1), who is named now. Any bad field: CreditError, nothing written."""
    rules = rules_of(policy)
    value = parse_amount("amount", amount)
    day = parse_day("ship_on", ship_on) if ship_on else today(policy)
    try:
        policy.organisation.person(by)
    except KeyError:
        raise CreditError("as", f"{by!r} is not a person in the policy") from None
    for _ in range(5):
        try:
            with session_scope() as session:
                return _insert(session, policy, rules, find_customer(session, customer, phone),
                               value, day, by)
        except IntegrityError:
            continue  # a concurrent request took the number
    raise RuntimeError("could not allocate a credit request number after 5 tries")


def _approver(policy: Policy, rules: CreditPolicy, ref: str, customer: Customer) -> str:
    if not is_territory_manager(ref):
        return resolve_assignee(ref, policy)
    manager = territory_manager(policy.organisation, rules.territory_manager_role,
                                customer.territory)
    if manager is None:
        raise CreditError("customer", f"{customer.name} has no regional manager (区域经理): its "
                                      f"territory {customer.territory or '(none)'} has no "
                                      f"{rules.territory_manager_role}")
    return manager


def _insert(session: Session, policy: Policy, rules: CreditPolicy, customer: Customer,
            amount: Decimal, day: date, by: str) -> CreditRequest:
    limit = limit_on(session, policy, customer, day)
    sign = signature(rules, amount, limit)
    approver = None if sign.within_limit else _approver(policy, rules, sign.approver, customer)
    moment = now()
    prefix = f"{rules.number_prefix}-{day.year}-"
    last = session.scalar(select(func.max(CreditRequest.number))
                          .where(CreditRequest.number.like(prefix + "%")))
    number = f"{prefix}{(int(last.removeprefix(prefix)) + 1 if last else 1):06d}"
    request = CreditRequest(
        uid=str(uuid.uuid4()), number=number, customer_id=customer.id, amount=amount,
        ship_on=day, credit_limit=limit, excess=sign.excess, approver_key=approver,
        approver_level=sign.level, requested_by=by, requested_at=moment,
        status="within_limit" if sign.within_limit else "pending")
    if sign.within_limit:
        request.decided_by, request.decided_at = "policy", moment
    session.add(request)
    session.flush()
    first, last_day = window(day, rules.window_days)
    events.record(session, PROCESS, number, "shipment_requested", by, customer=customer.name,
                  amount=str(amount), ship_on=day, credit_limit=str(limit),
                  window=[first, last_day], excess=str(sign.excess), level=sign.level,
                  approver=approver)
    return request


def get(session: Session, number: str) -> CreditRequest:
    return by_number(session, CreditRequest, number, "credit request", partial(CreditError, "number"))


def _context(session: Session, request: CreditRequest) -> dict:
    return {"case_number": request.number, "request": request,
            "customer": session.get(Customer, request.customer_id), "complaint": None}


def case_context(session: Session, policy: Policy, number: str) -> dict:
    """A request's messages' context for the shared approval mechanism."""
    base = {"case_number": number, "complaint": None, "policy": policy}
    request = session.scalar(select(CreditRequest).where(CreditRequest.number == number))
    return base if request is None else {**base, **_context(session, request)}


def needs_signature(number: str) -> bool:
    with session_scope() as session:
        return get(session, number).status != "within_limit"


def request_signature(policy: Policy, number: str, flow_run_id: str | None = None) -> int:
    """The band's signer is asked, due ``decision_due`` after the request (policy silent)."""
    rules = rules_of(policy)
    with session_scope() as session:
        request = get(session, number)
        if flow_run_id and request.flow_run_id != flow_run_id:
            request.flow_run_id = flow_run_id
        due = calendar_for(policy.calendar).add(request.requested_at, rules.decision_due)
        return request_approval(session, policy, ApprovalRequest(
            process=PROCESS, case_number=number, step=SIGNATURE,
            label="超授信额开票发货签批", assignee=request.approver_key, due_at=due,
            decisions=("approve", "reject"), context=_context(session, request),
            event="credit_approval_requested"), flow_run_id).id


def apply_signature(policy: Policy, number: str, task_id: int) -> str:
    """The decision, recorded on the request (and so on the customer's record) once; the
    requester is told."""
    with session_scope() as session:
        request = get(session, number)
        task = session.get(ApprovalTask, task_id)
        if request.status == "pending":
            request.status = "approved" if task.decision == "approve" else "rejected"
            request.decided_by, request.decided_at = task.decided_by, task.decided_at
            request.comment = task.comment
            events.record(session, PROCESS, number, f"shipment_{request.status}",
                          task.decided_by, comment=task.comment)
        notify_person(session, policy, key=f"{number}:decided:{task.id}", process=PROCESS,
                      case_number=number, event="credit_decided",
                      person_key=request.requested_by,
                      context={**_context(session, request), "task": task})
        return request.status


# --- what people read ----------------------------------------------------------------------

def request_view(number: str) -> dict:
    from tasks.case_records import approvals, iso, story

    with session_scope() as session:
        request = get(session, number)
        customer = session.get(Customer, request.customer_id)
        return {"number": number, "customer": customer.name, "amount": str(request.amount),
                "ship_on": request.ship_on.isoformat(), "credit_limit": str(request.credit_limit),
                "excess": str(request.excess), "level": request.approver_level,
                "approver": request.approver_key, "status": request.status,
                "requested_by": request.requested_by, "requested_at": iso(request.requested_at),
                "decided_by": request.decided_by, "decided_at": iso(request.decided_at),
                "comment": request.comment, "flow_run_id": request.flow_run_id,
                "approvals": approvals(session, number), "events": story(session, number)}


def customer_view(policy: Policy, name: str, phone: str | None = None,
                  on: str | None = None) -> dict:
    """``kefu credit customer``: the limit on a day, the payments that make it, and every
    shipment decision on the customer."""
    rules = rules_of(policy)
    day = parse_day("on", on) if on else today(policy)
    first, last = window(day, rules.window_days)
    with session_scope() as session:
        customer = find_customer(session, name, phone)
        payments = sorted(payments_of(session, customer.id))
        requests = list(session.scalars(select(CreditRequest).where(
            CreditRequest.customer_id == customer.id).order_by(CreditRequest.id)))
        return {"customer": customer.name, "territory": customer.territory, "on": day.isoformat(),
                "window": [first.isoformat(), last.isoformat()],
                "credit_limit": str(credit_limit(payments, day, rules.window_days)),
                "payments": [{"paid_on": d.isoformat(), "amount": str(a)} for d, a in payments
                             if first <= d <= last],
                "decisions": [{"number": r.number, "amount": str(r.amount),
                               "ship_on": r.ship_on.isoformat(), "credit_limit": str(r.credit_limit),
                               "status": r.status, "decided_by": r.decided_by,
                               "decided_at": r.decided_at.isoformat() if r.decided_at else None}
                              for r in requests]}
