"""The rules of 授信规定 and 超授信额开票发货 (004 D2), as plain functions of their inputs: no
database, no Prefect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from policy.base import Organisation
from policy.credit.schema import TERRITORY_MANAGER, CreditPolicy

PROCESS = "credit"


class CreditError(ValueError):
    """Input that cannot be accepted; ``field`` names the bad option. Nothing was written."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}")
        self.field = field


def parse_amount(field: str, text: str | Decimal | int) -> Decimal:
    """An amount of money in 元: more than 0, at most two decimals (分)."""
    try:
        amount = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation:
        raise CreditError(field, f"{text!r} is not an amount of money") from None
    if not amount.is_finite():
        raise CreditError(field, f"{text!r} is not an amount of money")
    if amount <= 0:
        raise CreditError(field, "must be more than 0")
    if amount != amount.quantize(Decimal("0.01")):
        raise CreditError(field, f"{amount} has more than two decimals (分)")
    if amount >= Decimal("1e14"):
        raise CreditError(field, f"{amount} is too large")
    return amount


def parse_day(field: str, text: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise CreditError(field, f"{text!r} is not a date (write e.g. 2026-11-20)") from None


def window(ship_on: date, days: int) -> tuple[date, date]:
    """The first and last day whose payments make the limit of a shipment on ``ship_on``.

    004 D2 §1.2 授信额：客户开票发货日前三十天货款 — the ``days`` days before the shipment day;
    §1.3 每日按时间流动授信 — the limit is set each day, so the shipment day's own payments
    count from the next day on."""
    return ship_on - timedelta(days=days), ship_on - timedelta(days=1)


def credit_limit(payments: Iterable[tuple[date, Decimal]], ship_on: date, days: int) -> Decimal:
    """The customer's credit limit on ``ship_on``: the sum of the payments received in the
    window (004 D2 §1.2)."""
    first, last = window(ship_on, days)
    return sum((amount for paid_on, amount in payments if first <= paid_on <= last), Decimal(0))


@dataclass(frozen=True)
class Signature:
    """Who must sign a shipment: nobody within the limit (004 D2 §2.1), else the band of the
    policy's ladder the excess falls in (§2.2.1), counted from 1."""

    excess: Decimal
    level: int | None
    approver: str | None

    @property
    def within_limit(self) -> bool:
        return self.level is None


def signature(rules: CreditPolicy, amount: Decimal, limit: Decimal) -> Signature:
    """004 D2 §2.1: within the limit a shipment goes; §2.2.1: over it by less than 1/3 of the
    limit the regional manager signs; a larger excess needs the next band of the policy. A
    customer without credit (no payments in the window, §1.4.1 未授信客户) has every excess in
    the last band. Exact arithmetic: an excess of exactly 1/3 is not "less than" 1/3."""
    excess = amount - limit
    if excess <= 0:
        return Signature(Decimal(0), None, None)
    for level, band in enumerate(rules.approvers, start=1):
        if band.below is None or (limit > 0 and Fraction(excess) < Fraction(limit) * band.below):
            return Signature(excess, level, band.approver)
    raise AssertionError("the policy's last band has no bound")  # CreditPolicy checks it


def territory_manager(org: Organisation, role: str, territory: str | None) -> str | None:
    """The regional manager (区域经理) of a territory: the person with ``role`` whose
    territories include it."""
    if not territory:
        return None
    return next((p.key for p in org.people if role in p.roles and territory in p.territories),
                None)


def is_territory_manager(ref: str) -> bool:
    return ref == TERRITORY_MANAGER
