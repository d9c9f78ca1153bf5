"""The HTTP API (``/api/v1``, issue 17 §1): file and read complaints, list and decide a
person's approvals, for systems (a hotline, a web form) and people's own tools.

A sub-application mounted on the inbox, so ``/api/v1/openapi.json`` documents the API's
routes only and the inbox's security headers apply. Every caller sends an API key
(``Authorization: Bearer …``, ``kefu api-keys create``): an ``intake`` key files and reads
complaints, a ``person`` key acts as its person — the token is the proof, as a login session
is in the inbox. Every call, refusals included, is in the audit log (via ``api``). Filing
answers from kefu's database at once; the worker's reconciler starts the case's flow run.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.api_auth import CALLER, Caller, needs, read_case
from inbox.api_prospects import add_prospect_routes
from models import ApiIdempotency, ApprovalTask, Clock, Complaint
from models.db import session_scope
from policy.schema import Policy
from tasks import audit
from tasks.approvals import ApprovalError, decide, group, inbox_tasks, may_act_for, task_view
from tasks.complaint.card import complaint_view
from tasks.complaint.intake import ComplaintInput, IntakeError, file_complaint, parse_complaint
from tasks.complaint.listing import MAX_LIMIT, ComplaintFilter, find_complaints
from tasks.deadlines import calendar_for, now
from tasks.decision_checks import check_decision

TASK_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
NUMBER = Annotated[str, Path(max_length=32)]
# Where each intake field sits in the request body, so a 422 names it as FastAPI does.
BODY_FIELD = {"customer": ("customer", "name"), "phone": ("customer", "phone"),
              "email": ("customer", "email"), "address": ("customer", "address"),
              "trigger": ("triggers",)}


class CustomerIn(BaseModel):
    name: str = Field(max_length=200)
    phone: str = Field(max_length=32)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)


class ComplaintIn(BaseModel):
    """The 客户投诉表 as a system files it."""

    channel: str = Field(max_length=32)
    customer: CustomerIn
    content: str = Field(max_length=5000)
    shipped_on: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    important: bool = False
    staff: str | None = Field(default=None, max_length=64, description=(
        "The staff member complained about (service or attitude, 000 D2 §3.3)"))
    triggers: list[Annotated[str, Field(max_length=32)]] = Field(default=[], max_length=16, description=(
        "The policy's filing flags: major-complaint triggers (004 D5), to_gm (000 D5)"))
    taken_by: str | None = Field(default=None, max_length=64, description=(
        "Who took the call: the first responsible person, where the policy has one (000 D12)"))


class Filed(BaseModel):
    number: str
    status: str
    due: dict[str, str] = Field(description="Each running clock's due time (ISO-8601)")


class DecisionIn(BaseModel):
    decision: str = Field(max_length=32)
    comment: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, max_length=64)
    person: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=64)
    amount: int | None = Field(default=None, ge=0, le=10**9, description=(
        "A compensation the handling proposes, in 元 (004 D5's authority table)"))
    attendees: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=64, description=(
        "A meeting's attendees, person keys (a complaint's emergency meeting)"))




def create_api(policy: Policy) -> FastAPI:
    api = FastAPI(title="kefu API", version="1", openapi_url="/openapi.json", docs_url=None,
                  redoc_url=None)
    api.state.policy = policy

    @api.post("/complaints", status_code=201, response_model=Filed,
              responses={200: {"model": Filed, "description": "A retry: the case already filed"}})
    def file(body: ComplaintIn, who: CALLER, request: Request,
             idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> Response:
        needs("intake", who, request)
        today = now().astimezone(ZoneInfo(policy.calendar.timezone)).date()
        try:
            data = parse_complaint(
                policy, channel=body.channel, customer=body.customer.name,
                phone=body.customer.phone, content=body.content, address=body.customer.address,
                email=body.customer.email, shipped_on=body.shipped_on,
                important=body.important, today=today, staff=body.staff,
                triggers=body.triggers, taken_by=body.taken_by)
        except IntakeError as bad:
            audit.record_alone(actor=who.actor, action="file_complaint", outcome="refused",
                               via="api", reason=str(bad))
            loc = ["body", *BODY_FIELD.get(bad.field, (bad.field,))]
            return JSONResponse({"detail": [{"loc": loc, "msg": str(bad).split(": ", 1)[-1],
                                             "type": "value_error"}]}, status_code=422)
        filed, created = _file_once(policy, data, who, idempotency_key)
        return JSONResponse(filed, status_code=201 if created else 200)

    @api.get("/complaints")
    def complaints(who: CALLER, request: Request,
                   status: Annotated[str | None, Query(max_length=16)] = None,
                   department: Annotated[str | None, Query(max_length=64)] = None,
                   category: Annotated[str | None, Query(max_length=32)] = None,
                   timing: Annotated[Literal["overdue", "at_risk", "on_time"] | None,
                                     Query(description="By the case's open clocks")] = None,
                   received_from: datetime | None = None, received_to: datetime | None = None,
                   limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
                   offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[dict]:
        """Complaints, newest first, each with the step it waits on, who holds it, its next
        due time and whether it is overdue, at risk or on time."""
        needs("intake", who, request)
        wanted = ComplaintFilter(status=status, department=department, category=category,
                                 timing=timing, received_from=_aware(received_from),
                                 received_to=_aware(received_to), limit=limit, offset=offset)
        if problem := wanted.problem():
            field, why = problem
            raise RequestValidationError([{"loc": ["query", field], "msg": why,
                                           "type": "value_error"}])
        moment = now()
        risk_from = calendar_for(policy.calendar).add(moment, policy.approvals.at_risk)
        with session_scope() as session:
            rows = find_complaints(session, wanted, moment, risk_from)
            audit.record(session, actor=who.actor, action="list_complaints", via="api",
                         count=len(rows))
        return jsonable_encoder(rows)

    @api.get("/complaints/{number}")
    def show(number: NUMBER, who: CALLER, request: Request) -> dict:
        """The case as ``kefu complaint show --json`` shows it."""
        needs("intake", who, request)
        return read_case(who, "complaint", number, complaint_view)

    @api.get("/approvals")
    def approvals(who: CALLER, request: Request, assignee: Literal["me"] = "me") -> list[dict]:
        """The key's person's pending approvals (and those delegated to them), soonest due
        first."""
        needs("person", who, request)
        with session_scope() as session:
            rows = [task_view(t) for t in inbox_tasks(session, who.actor)]
            audit.record(session, actor=who.actor, action="view_inbox", via="api",
                         count=len(rows))
        return rows

    @api.post("/approvals/{task_id}/decision")
    def decision(task_id: TASK_ID, body: DecisionIn, who: CALLER, request: Request) -> dict:
        needs("person", who, request)
        if _hidden(who.actor, task_id):
            raise HTTPException(404, f"approval task {task_id} does not exist")
        try:
            with session_scope() as session:
                task = session.get(ApprovalTask, task_id)
            carried = check_decision(policy, task, {
                "category": body.category, "person": body.person, "outcome": body.outcome,
                "amount": body.amount, "attendees": body.attendees or None})
            with session_scope() as session:
                decided = decide(session, policy, task_id, actor=who.actor,
                                 decision=body.decision, comment=body.comment, data=carried,
                                 via="api")
                view = task_view(decided)
        except ApprovalError as refused:
            audit.record_alone(actor=who.actor, action="decide", outcome="refused", via="api",
                               task_id=task_id, case_number=refused.case_number,
                               reason=str(refused))
            raise HTTPException(409, str(refused)) from None
        _wake(view["id"])
        return view

    add_prospect_routes(api, policy)
    return api


class _FiledBefore(Exception):
    """The idempotency key filed a case already (a concurrent retry won the race)."""

    def __init__(self, number: str):
        super().__init__(number)
        self.number = number


def _file_once(policy: Policy, data: ComplaintInput, who: Caller,
               idempotency_key: str | None) -> tuple[dict, bool]:
    """File the complaint, or find the one this key already filed: ({number, status, due},
    whether it is new). The case and its key are stored in one transaction, so a retry never
    makes a second case; when a concurrent retry with the same key stored it first, the filing
    is undone and that case is the answer."""
    if idempotency_key and (known := _filed_with(who.key_id, idempotency_key)):
        return _answer(complaint_view(known)), False
    answer: dict = {}

    def remember(session: Session, complaint: Complaint) -> None:
        if idempotency_key:
            if known := session.scalar(select(ApiIdempotency.complaint_number).where(
                    ApiIdempotency.api_key_id == who.key_id,
                    ApiIdempotency.key == idempotency_key)):
                raise _FiledBefore(known)
            session.add(ApiIdempotency(key=idempotency_key, api_key_id=who.key_id,
                                       complaint_number=complaint.number, created_at=now()))
        audit.record(session, actor=who.actor, action="file_complaint", via="api",
                     case_number=complaint.number)
        # The answer from the same transaction (the case's view would cost another).
        due = session.execute(select(Clock.name, Clock.due_at).where(
            Clock.process == "complaint", Clock.case_number == complaint.number,
            Clock.met_at.is_(None))).all()
        answer.update(number=complaint.number, status=complaint.status,
                      due={name: at.isoformat() for name, at in due})

    try:
        file_complaint(policy, data, also=remember)
    except _FiledBefore as before:
        return _answer(complaint_view(before.number)), False
    return answer, True


def _answer(view: dict) -> dict:
    return {"number": view["number"], "status": view["status"],
            "due": {name: at for name, at in view["due"].items() if at}}


def _filed_with(key_id: int, idempotency_key: str) -> str | None:
    with session_scope() as session:
        return session.scalar(select(ApiIdempotency.complaint_number).where(
            ApiIdempotency.api_key_id == key_id, ApiIdempotency.key == idempotency_key))


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC (the JSON answers give offsets)."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _hidden(person: str, task_id: int) -> bool:
    """Whether the task is missing or not the person's to decide (audited as refused): one
    answer for both, so task ids cannot be probed."""
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task is not None and any(may_act_for(session, person, t.assignee_key)
                                    for t in group(session, task)):
            return False
        audit.record(session, actor=person, action="decide", outcome="refused", via="api",
                     task_id=task_id, case_number=task.case_number if task else None,
                     reason="no such task" if task is None else "not this person's task")
        return True


def _wake(task_id: int) -> None:
    from runtime.runs import PrefectUnavailable, wake_task

    # Recorded either way; the worker's reconciler resumes the run when Prefect is back.
    with contextlib.suppress(PrefectUnavailable):
        wake_task(task_id, patience=2.0)
