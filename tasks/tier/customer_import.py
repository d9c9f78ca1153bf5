"""Import customers' yearly figures from CSV or Excel (.xlsx): all rows or none.

The file is read as offices save it (``tasks/tables.py``: UTF-8, UTF-8 with BOM, GB18030 from
Excel's "CSV (逗号分隔)", .xlsx). Every row is checked first; any bad cell (a missing column,
text in a number field, a phone that is not one, a customer twice for one year, a territory
without a section chief) fails the whole file with its row and column, and nothing is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Customer, CustomerYearFigures, GradeChange
from models.db import session_scope
from policy.schema import Policy
from tasks import tables
from tasks.addresses import email_problem
from tasks.deadlines import now
from tasks.tables import Row
from tasks.tier.rules import territory_chiefs

REQUIRED = ("name", "phone", "territory", "year", "sales", "growth", "overdue_payments", "cooperation")
OPTIONAL = ("profit", "email", "address", "grade")
MAX_LISTED = 10
PERCENT = ("growth",)  # the columns the help says are percent: 12 and 12% are the same
# The complaint intake's rule (tasks/complaint/intake.py): digits, spaces, - and +.
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")


class CustomerImportError(ValueError):
    """A file that cannot be imported; the message lists rows and columns. Nothing written."""


@dataclass(frozen=True)
class FigureRow:
    row: int
    name: str
    phone: str
    territory: str
    year: int
    sales: float
    growth: float
    overdue_payments: int
    cooperation: float
    profit: float | None
    email: str | None
    address: str | None
    grade: str | None


def read_table(path: Path) -> list[Row]:
    """The file's rows (.csv in UTF-8 or GB18030, or .xlsx); row numbers are the spreadsheet's
    (header = 1). A file that cannot be read raises CustomerImportError in one line."""
    try:
        return tables.read_table(path, REQUIRED)
    except tables.TableError as exc:
        raise CustomerImportError(str(exc)) from None


def parse_rows(policy: Policy, table: list[Row],
               tick: Callable[[int], None] | None = None) -> list[FigureRow]:
    """Check every cell; raise CustomerImportError listing the bad ones (row, column)."""
    chiefs = territory_chiefs(policy)
    grades = policy.tier_assessment.grades if policy.tier_assessment else []
    errors: list[str] = []
    parsed: list[FigureRow] = []
    seen: dict[tuple[str, int], int] = {}
    for row in table:
        figures, row_errors = _checked(row, chiefs, grades)
        key = (row.cells.get("name", ""), figures.get("year"))
        if key[1] is not None and key[0] and key in seen:
            row_errors.append(f"row {row.number}, column name: {key[0]!r} for {key[1]} already on "
                              f"row {seen[key]} (duplicate customer)")
        seen.setdefault(key, row.number)
        if tick:
            tick(1)
        if row_errors:
            errors += row_errors
            continue
        parsed.append(FigureRow(row=row.number, **figures))
    if errors:
        listed = "; ".join(errors[:MAX_LISTED])
        more = f" … and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        raise CustomerImportError(f"{listed}{more} ({len(errors)} error(s); nothing imported)")
    return parsed


def _checked(row: Row, chiefs: dict, grades: list[str]) -> tuple[dict, list[str]]:
    """The row's fields as FigureRow takes them, and its errors ("row N, column C: why")."""
    cells, errors = row.cells, []

    def bad(column: str, why: str) -> None:
        errors.append(f"row {row.number}, column {column}: {why}")

    for column in ("name", "phone", "territory"):
        if not cells.get(column):
            bad(column, "empty")
    phone = cells.get("phone", "")
    if phone and not _PHONE.match(phone):
        bad("phone", f"{phone!r} is not a phone number (digits, spaces, - and +)")
    territory = cells.get("territory", "")
    if territory and territory not in chiefs:
        bad("territory", f"{territory!r} has no section chief (known: {', '.join(sorted(chiefs))})")
    grade = cells.get("grade") or None
    if grade and grade not in grades:
        bad("grade", f"{grade!r} is not one of {', '.join(grades)}")
    email = cells.get("email") or None
    if email and (problem := email_problem(email)):
        bad("email", f"{email!r}: {problem}")

    def number(column: str, kind: type = float, low: float | None = 0, high: float | None = None,
               optional: bool = False) -> float | int | None:
        text = tables.number_text(cells.get(column, ""), percent=column in PERCENT)
        if text == "":
            if not optional:
                bad(column, "empty")
            return None
        try:
            value = kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            bad(column, f"{cells[column]!r} is not {what}")
            return None
        if not math.isfinite(value):
            bad(column, f"{cells[column]!r} is not {'a whole number' if kind is int else 'a number'}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bad(column, f"{cells[column]} is out of range")
        return value

    figures = {"name": cells.get("name", ""), "phone": phone, "territory": territory,
               "year": number("year", int, 2000, 2100), "sales": number("sales"),
               "growth": number("growth", float, None),
               "overdue_payments": number("overdue_payments", int),
               "cooperation": number("cooperation", float, 0, 100),
               "profit": number("profit", float, None, optional=True),
               "email": email, "address": cells.get("address") or None, "grade": grade}
    return figures, errors


def import_rows(rows: Iterable[FigureRow], by: str = "import") -> dict[str, int]:
    """Write the checked rows in one transaction: customers (by name and phone) and their
    year's figures (a re-import of the same year replaces them)."""
    counts = {"customers": 0, "new_customers": 0, "figures": 0}
    moment = now()
    with session_scope() as session:
        for row in rows:
            customer = _customer(session, row, moment, counts)
            figures = session.scalar(select(CustomerYearFigures).where(
                CustomerYearFigures.customer_id == customer.id, CustomerYearFigures.year == row.year))
            if figures is None:
                figures = CustomerYearFigures(customer_id=customer.id, year=row.year)
                session.add(figures)
            figures.sales, figures.growth = row.sales, row.growth
            figures.overdue_payments, figures.cooperation = row.overdue_payments, row.cooperation
            figures.profit, figures.imported_at = row.profit, moment
            counts["figures"] += 1
    return counts


def _customer(session: Session, row: FigureRow, moment, counts: dict[str, int]) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.name == row.name,
                                                     Customer.phone == row.phone))
    if customer is None:
        customer = Customer(name=row.name, phone=row.phone, created_at=moment)
        session.add(customer)
        counts["new_customers"] += 1
    counts["customers"] += 1
    customer.territory = row.territory
    customer.email = row.email or customer.email
    customer.address = row.address or customer.address
    if row.grade and row.grade != customer.grade:
        session.flush()
        session.add(GradeChange(customer_id=customer.id, from_grade=customer.grade,
                                to_grade=row.grade, temporary=False, changed_by="import",
                                reason=f"imported (row {row.row})", source="import", at=moment))
        customer.grade = row.grade
    session.flush()
    return customer
