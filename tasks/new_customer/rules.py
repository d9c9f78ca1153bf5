"""The rules of 销售部门新客户开发管理办法 (000 D8) and of registration (000 D9), as plain
functions of their inputs: no database, no Prefect."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from policy.new_customer.schema import NewCustomerPolicy, ReviewOffsets
from tasks.text import simplified

PROCESS = "new_customer"


class ProspectError(ValueError):
    """Input that cannot be accepted; ``field`` names the bad option. Nothing was written."""

    def __init__(self, field: str, message: str):
        super().__init__(f"--{field.replace('_', '-')}: {message}")
        self.field = field


def parse_amount(field: str, text: str | Decimal | int, *, allow_zero: bool = False) -> Decimal:
    """An amount of money in 元: a number, not negative (and not zero unless allowed)."""
    try:
        amount = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation:
        raise ProspectError(field, f"{text!r} is not an amount of money") from None
    if not amount.is_finite():
        raise ProspectError(field, f"{text!r} is not an amount of money")
    if amount < 0:
        raise ProspectError(field, f"{amount} is negative")
    if amount == 0 and not allow_zero:
        raise ProspectError(field, "must be more than 0")
    if amount != amount.quantize(Decimal("0.01")):
        raise ProspectError(field, f"{amount} has more than two decimals (分)")
    return amount


def check_product_line(rules: NewCustomerPolicy, product_line: str) -> str:
    if product_line not in rules.thresholds:
        raise ProspectError("product_line", f"{product_line!r} is not one of "
                            f"{', '.join(rules.thresholds)}")
    return product_line


def company_key(name: str) -> str:
    """What makes two names the same company, for 000 D8 §2 (a new customer is outside the
    current customer list) and one open project per prospect: the name in Simplified script
    (華東鑄造廠 is 华东铸造厂), full-width letters and digits as half-width, spaces and case
    ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", simplified(name))).casefold()


@dataclass(frozen=True)
class Qualification:
    qualified: bool
    reason: str | None


def qualify(rules: NewCustomerPolicy, product_line: str, expected_annual_revenue: Decimal,
            already_customer: bool) -> Qualification:
    """000 D8 §2: a new customer is outside the current customer list, with expected annual
    new business of at least the product line's threshold (铸球 300万, 设备 100万)."""
    if already_customer:
        return Qualification(False, "already on the customer list (000 D8 §2: 目前销售客户目录之外)")
    threshold = rules.thresholds[check_product_line(rules, product_line)]
    if expected_annual_revenue < threshold:
        return Qualification(False, f"expected annual revenue {expected_annual_revenue:,.0f} is "
                                    f"below the {product_line} threshold {threshold:,.0f} "
                                    f"(000 D8 §2)")
    return Qualification(True, None)


def check_budget(rules: NewCustomerPolicy, amount: Decimal) -> Decimal:
    """000 D8 §5.1: the preliminary budget is at most 30,000 元."""
    if amount > rules.budget.preliminary_max:
        raise ProspectError("amount", f"{amount:,} exceeds the preliminary budget limit of "
                                      f"{rules.budget.preliminary_max:,} (000 D8 §5.1)")
    return amount


def spend_needs_approval(rules: NewCustomerPolicy, budget: Decimal, spent: Decimal,
                         amount: Decimal) -> bool:
    """000 D8 §5.1: actual spending may exceed the budget by at most 5%; beyond that the
    spend needs a new approval before it is recorded."""
    limit = budget * (1 + rules.budget.overrun_tolerance_percent / 100)
    return spent + amount > limit


# --- reviews (000 D8 §4) -----------------------------------------------------------------

def review_dates(approved_at: datetime, offsets: ReviewOffsets) -> dict[str, datetime]:
    """When the 90-day attention check, the 180-day special study and the 365-day report
    fall, counted in calendar days from 立项 (the leader's approval)."""
    return {
        "attention": approved_at + timedelta(days=offsets.attention),
        "decision": approved_at + timedelta(days=offsets.decision),
        "report": approved_at + timedelta(days=offsets.report),
    }


def review_opens_at(approved_at: datetime, offsets: ReviewOffsets, review: str) -> datetime:
    """When the task of a review ("decision": the 专题研究, "report": the 书面报告) opens — is
    asked, listed and mailed: on the review's own day, not at 立项. 000 D8 §4.2 asks for the
    special study once six months passed without a breakthrough and for the written report
    once a year passed without reaching the standard; it sets no notice before either, so
    none is given."""
    return review_dates(approved_at, offsets)[review]


def tracking_due(approved_at: datetime, last_record_at: datetime | None,
                 offsets: ReviewOffsets) -> tuple[datetime, datetime]:
    """(reminder, due) of the next tracking record: at least every 30 days (§4.1), counted
    from the last record, or from 立项 before the first one."""
    due = (last_record_at or approved_at) + timedelta(days=offsets.tracking)
    return due - timedelta(days=offsets.tracking_reminder_before), due


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def outcome_status(outcome: str) -> str:
    """What a 180-day or 365-day outcome does to the project (000 D8 §4.2–§4.5)."""
    return {"continue": "developing", "suspend": "suspended", "terminate": "terminated",
            "hand_over": "registering"}[outcome]
