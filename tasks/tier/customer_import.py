"""Import customers' yearly figures from CSV or Excel (.xlsx): all rows or none.

Every row is checked first; any bad cell (a missing column, text in a number field, a
customer twice for one year, a territory without a section chief) fails the whole file with
its row and column, and nothing is written.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Customer, CustomerYearFigures, GradeChange
from models.db import session_scope
from policy.schema import Policy
from tasks.deadlines import now
from tasks.tier.rules import territory_chiefs

REQUIRED = ("name", "phone", "territory", "year", "sales", "growth", "overdue_payments", "cooperation")
OPTIONAL = ("profit", "email", "address", "grade")
MAX_LISTED = 10


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


def read_table(path: Path) -> list[dict[str, str]]:
    """The file's rows as {column: text}; row numbers are the spreadsheet's (header = 1)."""
    if not path.exists():
        raise CustomerImportError(f"FILE: {path} does not exist")
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    if path.suffix.lower() != ".csv":
        raise CustomerImportError(f"FILE: {path.name}: only .csv and .xlsx files are read")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        return _as_dicts(list(reader))


def _read_xlsx(path: Path) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = [["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]
    return _as_dicts(rows)


def _as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    rows = [r for r in rows if any((c or "").strip() for c in r)] if rows else []
    if not rows:
        raise CustomerImportError("FILE: the file is empty (no header, no rows)")
    header = [(c or "").strip().lower() for c in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CustomerImportError(f"row 1: missing column(s) {', '.join(missing)}")
    if len(rows) == 1:
        raise CustomerImportError("FILE: the file has a header but no rows")
    return [dict(zip(header, [(c or "").strip() for c in row], strict=False)) for row in rows[1:]]


def parse_rows(policy: Policy, table: list[dict[str, str]],
               tick: Callable[[int], None] | None = None) -> list[FigureRow]:
    """Check every cell; raise CustomerImportError listing the bad ones (row, column)."""
    chiefs = territory_chiefs(policy)
    grades = policy.tier_assessment.grades if policy.tier_assessment else []
    errors: list[str] = []
    parsed: list[FigureRow] = []
    seen: dict[tuple[str, int], int] = {}
    for index, cells in enumerate(table, start=2):
        row_errors: list[str] = []

        def number(column: str, kind: type = float, low: float | None = 0, high: float | None = None,
                   optional: bool = False, cells=cells, row_errors=row_errors, index=index):
            text = cells.get(column, "")
            if text == "" and optional:
                return None
            if text == "":
                row_errors.append(f"row {index}, column {column}: empty")
                return None
            try:
                value = kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
            except ValueError:
                what = "a whole number" if kind is int else "a number"
                row_errors.append(f"row {index}, column {column}: {text!r} is not {what}")
                return None
            if (low is not None and value < low) or (high is not None and value > high):
                row_errors.append(f"row {index}, column {column}: {text} is out of range")
            return value

        for column in ("name", "phone", "territory"):
            if not cells.get(column):
                row_errors.append(f"row {index}, column {column}: empty")
        territory = cells.get("territory", "")
        if territory and territory not in chiefs:
            row_errors.append(f"row {index}, column territory: {territory!r} has no section chief "
                              f"(known: {', '.join(sorted(chiefs))})")
        grade = cells.get("grade") or None
        if grade and grade not in grades:
            row_errors.append(f"row {index}, column grade: {grade!r} is not one of {', '.join(grades)}")
        year = number("year", int, 2000, 2100)
        values = {"sales": number("sales"), "growth": number("growth", float, None),
                  "overdue_payments": number("overdue_payments", int),
                  "cooperation": number("cooperation", float, 0, 100),
                  "profit": number("profit", float, None, optional=True)}
        key = (cells.get("name", ""), year)
        if year is not None and key[0] and key in seen:
            row_errors.append(f"row {index}, column name: {key[0]!r} for {year} already on row "
                              f"{seen[key]} (duplicate customer)")
        seen.setdefault(key, index)
        if tick:
            tick(1)
        if row_errors:
            errors += row_errors
            continue
        parsed.append(FigureRow(row=index, name=cells["name"], phone=cells["phone"],
                                territory=territory, year=year, grade=grade,
                                email=cells.get("email") or None, address=cells.get("address") or None,
                                **values))
    if errors:
        listed = "; ".join(errors[:MAX_LISTED])
        more = f" … and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        raise CustomerImportError(f"{listed}{more} ({len(errors)} error(s); nothing imported)")
    return parsed


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
