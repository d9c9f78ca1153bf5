"""The process owner's view in the inbox (issue 17 §3): every complaint a person is
responsible for, with filters, and each case's whole story.

Who sees what is the policy's (``tasks.complaint.listing.departments_visible_to``): the
``complaint.case_viewers`` see every case, a department head their department's, anybody else
none. A case outside a person's view gets the same 404 as a case that does not exist, and every
list and case view is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, Response

from inbox.i18n import translator
from models import ComplaintStatus
from models.db import session_scope
from policy.schema import Policy
from runtime.settings import run_url
from tasks import audit, labels
from tasks.complaint import report_views
from tasks.complaint.card import complaint_view
from tasks.complaint.listing import (
    TIMINGS,
    ComplaintFilter,
    departments_visible_to,
    find_complaints,
    may_see,
)
from tasks.deadlines import calendar_for, now

NUMBER = Annotated[str, Path(max_length=32)]
PAGE_SIZE = 200


def add_owner_routes(app: FastAPI, policy: Policy, *, page: Callable, read_session: Callable,
                     to_login: Callable, locale_of: Callable) -> None:
    calendar = calendar_for(policy.calendar)
    org = policy.organisation

    def department_name(key: str | None, locale: str) -> str:
        return labels.department(key, org, locale)

    def category_name(key: str | None, locale: str) -> str:
        return report_views.category_name(policy, key, locale)

    @app.get("/cases", response_class=HTMLResponse)
    def cases(request: Request, status: str = "", department: str = "", category: str = "",
              timing: str = "", received_from: str = "", received_to: str = "") -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            return to_login(request)
        locale = locale_of(request, user)
        visible = departments_visible_to(policy, user)
        if visible is not None and not visible:
            audit.record_alone(actor=user, action="list_cases", outcome="refused", via="inbox",
                               reason="not a process owner")
            return page(request, "message.html", data,
                        {"kind": "refused", "message": translator(locale)("not_an_owner")}, 403)
        wanted = ComplaintFilter(
            status=status[:16] or None, department=department[:64] or None,
            category=category[:32] or None, timing=timing[:16] or None,
            received_from=_day_start(received_from, calendar.tz),
            received_to=_day_end(received_to, calendar.tz), within=visible, limit=PAGE_SIZE)
        problem = wanted.problem() or _bad_date(received_from, received_to)
        rows: list[dict] = []
        if problem is None:
            moment = now()
            with session_scope() as session:
                rows = find_complaints(session, wanted, moment,
                                       calendar.add(moment, policy.approvals.at_risk))
                audit.record(session, actor=user, action="list_cases", via="inbox",
                             count=len(rows))
        for row in rows:
            row["department_name"] = department_name(row["department"], locale)
            row["category_name"] = category_name(row["category"], locale)
            row["status_name"] = labels.status(row["status"], locale)
            for waiting in row["waiting_on"]:
                waiting["assignee_name"] = labels.person(waiting["assignee"], org, locale)
        departments = [d for d in org.departments if may_see(visible, d.key)
                       and any(c.department == d.key for c in policy.complaint.categories)]
        return page(request, "cases.html", data, {
            "rows": rows, "problem": problem, "full": len(rows) == PAGE_SIZE,
            "chosen": {"status": status, "department": department, "category": category,
                       "timing": timing, "received_from": received_from,
                       "received_to": received_to},
            "statuses": [(s.value, labels.status(s.value, locale)) for s in ComplaintStatus],
            "departments": [(d.key, department_name(d.key, locale)) for d in departments],
            "categories": [(c.key, category_name(c.key, locale))
                           for c in policy.complaint.categories],
            "timings": TIMINGS}, 200 if problem is None else 400)

    @app.get("/cases/{number}", response_class=HTMLResponse)
    def case_page(request: Request, number: NUMBER) -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            return to_login(request)
        visible = departments_visible_to(policy, user)
        try:
            card = complaint_view(number)
        except LookupError:
            card = None
        if card is None or not may_see(visible, card["department"]):
            audit.record_alone(actor=user, action="view_case", outcome="refused", via="inbox",
                               case_number=number if card else None,
                               reason="no such case" if card is None else "not this owner's")
            return page(request, "message.html", data, {
                "kind": "refused",
                "message": translator(locale_of(request, user))("no_such_case")}, 404)
        from tasks.confidentiality import check_read_alone

        if not check_read_alone(policy, user, "complaint", number, actor=user, via="inbox").allowed:
            return page(request, "message.html", data, {
                "kind": "refused",
                "message": translator(locale_of(request, user))("archive_refused")}, 403)
        audit.record_alone(actor=user, action="view_case", via="inbox", case_number=number)
        locale = locale_of(request, user)
        return page(request, "case.html", data, {
            "card": card, "w": Words(policy, locale),
            "run_url": run_url(card["flow_run_id"]) if card["flow_run_id"] else None,
            "department_name": department_name(card["department"], locale),
            "category_name": category_name(card["category"], locale)})


class Words:
    """The words of a case's codes for one reader (tasks/labels.py), for the templates."""

    def __init__(self, policy: Policy, locale: str):
        self.org, self.locale = policy.organisation, locale

    def status(self, code: str | None) -> str:
        return labels.status(code, self.locale)

    def channel(self, code: str | None) -> str:
        return labels.channel(code, self.locale)

    def clock(self, name: str | None) -> str:
        return labels.clock(name, self.locale)

    def event(self, kind: str | None) -> str:
        return labels.event(kind, self.locale)

    def decision(self, code: str | None) -> str:
        return labels.decision(code, self.locale)

    def person(self, key: str | None) -> str:
        return labels.person(key, self.org, self.locale)


def _day_start(text: str, tz) -> datetime | None:
    day = _date(text)
    return datetime.combine(day, time.min, tz) if day else None


def _day_end(text: str, tz) -> datetime | None:
    """The last moment of the day (the filter's "to" day counts whole)."""
    day = _date(text)
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tz) - timedelta(microseconds=1)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _bad_date(*texts: str) -> tuple[str, str] | None:
    for name, text in zip(("received_from", "received_to"), texts, strict=True):
        if text and _date(text) is None:
            return name, f"{text[:20]!r} is not a date (YYYY-MM-DD)"
    return None
