"""The approvers' inbox (``kefu inbox``): log in, my pending approvals, the case card, decide.

Server-rendered pages (Jinja2, autoescaped). Sessions are signed cookies (HttpOnly,
SameSite=Lax) carrying a CSRF token that every form must echo. Decisions go through
``tasks.approvals.decide`` — the same checks as the CLI and the Prefect UI form — and every
view, decision, refusal and link use is written to the audit log.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import FastAPI, Form, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select

from inbox.auth import authenticate
from inbox.i18n import LOCALES, translator
from models import ApprovalStatus, ApprovalTask, Notification
from models.db import session_scope
from notifications.render import local_time
from policy.load import load_policy
from tasks import audit
from tasks.approvals import (
    ApprovalError,
    decide,
    group,
    inbox_tasks,
    is_active,
    may_act_for,
    principals_of,
    task_view,
)
from tasks.deadlines import calendar_for, now
from tasks.links import LinkRefused, secret_key, use_link

COOKIE = "kefu_session"
TASK_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_COMMENT = 4000


def create_app() -> FastAPI:
    app = FastAPI(title="kefu inbox", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(FilePath(__file__).parent / "templates"))
    policy = load_policy()
    tz = policy.calendar.timezone
    templates.env.filters["local"] = lambda moment: local_time(moment, tz)
    calendar = calendar_for(policy.calendar)
    session_seconds = int((calendar.add(now(), policy.approvals.session_ttl) - now()).total_seconds())
    signer = URLSafeTimedSerializer(secret_key(), salt="kefu-inbox-session")

    # --- sessions, CSRF, pages ------------------------------------------------------------

    def read_session(request: Request) -> dict:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = signer.loads(raw, max_age=session_seconds)
                if isinstance(data, dict) and isinstance(data.get("c"), str):
                    return data
            except BadSignature:
                pass
        return {"u": None, "c": secrets.token_urlsafe(24), "new": True}

    def save_session(response: Response, data: dict) -> Response:
        response.set_cookie(COOKIE, signer.dumps({"u": data.get("u"), "c": data["c"]}),
                            max_age=session_seconds, httponly=True, samesite="lax", path="/")
        return response

    def locale_of(request: Request, user: str | None) -> str:
        chosen = request.cookies.get("kefu_lang")
        if chosen in LOCALES:
            return chosen
        if user:
            try:
                return policy.organisation.person(user).locale or policy.locale
            except KeyError:
                pass
        return policy.locale

    def page(request: Request, name: str, data: dict, context: dict, status: int = 200) -> Response:
        locale = locale_of(request, data.get("u"))
        response = templates.TemplateResponse(
            request, name, {"t": translator(locale), "locale": locale, "user": data.get("u"),
                            "user_name": _name(data.get("u")), "csrf": data["c"], **context},
            status_code=status)
        return save_session(response, data)

    def _name(key: str | None) -> str:
        if not key:
            return ""
        try:
            return policy.organisation.person(key).name
        except KeyError:
            return key

    def refuse(request: Request, data: dict, message: str, status: int = 403) -> Response:
        return page(request, "message.html", data, {"kind": "refused", "message": message}, status)

    def csrf_ok(data: dict, token: str | None) -> bool:
        # Bytes: compare_digest refuses non-ASCII str, and a form may carry anything.
        return bool(token) and not data.get("new") and hmac.compare_digest(
            str(token).encode(), str(data["c"]).encode())

    def to_login(request: Request) -> Response:
        target = request.url.path
        return RedirectResponse(f"/login?next={target}", status_code=303)

    def safe_next(target: str | None) -> str:
        if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
            return target
        return "/"

    # --- routes -----------------------------------------------------------------------------

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/lang/{locale}")
    def set_lang(locale: str, next: str | None = None) -> Response:
        response = RedirectResponse(safe_next(next), status_code=303)
        if locale in LOCALES:
            response.set_cookie("kefu_lang", locale, httponly=True, samesite="lax", path="/")
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str | None = None) -> Response:
        data = read_session(request)
        data.pop("new", None)
        return page(request, "login.html", data, {"next": safe_next(next), "error": None})

    @app.post("/login")
    def login(request: Request, username: Annotated[str, Form(max_length=64)],
              password: Annotated[str, Form(max_length=256)],
              csrf_token: Annotated[str | None, Form()] = None,
              next: Annotated[str | None, Form()] = None) -> Response:
        data = read_session(request)
        if not csrf_ok(data, csrf_token):
            audit.record_alone(actor=username, action="login", outcome="refused", via="inbox",
                               reason="csrf")
            return refuse(request, data, translator(locale_of(request, None))("csrf"))
        with session_scope() as session:
            ok = authenticate(session, policy, username, password)
            audit.record(session, actor=username, action="login", via="inbox",
                         outcome="ok" if ok else "refused",
                         reason=None if ok else "wrong account or password")
        if not ok:
            return page(request, "login.html", data,
                        {"next": safe_next(next), "error": "bad_login"}, status=401)
        fresh = {"u": username, "c": secrets.token_urlsafe(24)}  # a new session id on login
        return save_session(RedirectResponse(safe_next(next), status_code=303), fresh)

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Response:
        data = read_session(request)
        if not csrf_ok(data, csrf_token):
            return refuse(request, data, translator(locale_of(request, data.get("u")))("csrf"))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    def my_inbox(request: Request) -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            return to_login(request)
        moment = now()
        risk_from = calendar.add(moment, policy.approvals.at_risk)
        with session_scope() as session:
            rows = []
            for task in inbox_tasks(session, user):
                mark = ("overdue" if task.due_at <= moment
                        else "at_risk" if task.due_at <= risk_from else "on_time")
                rows.append({**task_view(task), "mark": mark,
                             "on_behalf": task.assignee_key if task.assignee_key != user else None})
            audit.record(session, actor=user, action="view_inbox", via="inbox", count=len(rows))
        return page(request, "inbox.html", data, {"rows": rows})

    @app.get("/l/{token}")
    def open_link(request: Request, token: Annotated[str, Path(max_length=1000)]) -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            return to_login(request)
        t = translator(locale_of(request, user))
        try:
            with session_scope() as session:
                claim = use_link(session, token, user)
                task = session.get(ApprovalTask, claim.task_id)
                audit.record(session, actor=user, action="link_use", via="inbox",
                             task_id=claim.task_id,
                             case_number=task.case_number if task else None)
        except LinkRefused as refused:
            audit.record_alone(actor=user, action="link_use", outcome="refused", via="inbox",
                               task_id=refused.task_id, case_number=_case_of(refused.task_id),
                               reason=f"{refused.kind}: {refused}")
            return refuse(request, data, t(f"link_{refused.kind}"))
        return RedirectResponse(f"/tasks/{claim.task_id}", status_code=303)

    def _case_of(task_id: int | None) -> str | None:
        if task_id is None or not 0 < task_id < 2**31:
            return None
        with session_scope() as session:
            task = session.get(ApprovalTask, task_id)
            return task.case_number if task else None

    def involved(session, user: str, task: ApprovalTask) -> bool:
        """Who may see a case: its signers (and their delegates), people it was sent to
        (CC, escalations), and who decided on it."""
        whose = [user, *principals_of(session, user)]
        return session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.case_number == task.case_number,
            or_(ApprovalTask.assignee_key.in_(whose), ApprovalTask.decided_by == user)).limit(1)
        ) is not None or session.scalar(select(Notification.id).where(
            Notification.case_number == task.case_number, Notification.recipient == user).limit(1)
        ) is not None

    @app.get("/tasks/{task_id}", response_class=HTMLResponse)
    def task_page(request: Request, task_id: TASK_ID) -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            return to_login(request)
        t = translator(locale_of(request, user))
        with session_scope() as session:
            task = session.get(ApprovalTask, task_id)
            if task is None:
                return refuse(request, data, t("not_found"), status=404)
            if not involved(session, user, task):
                audit.record(session, actor=user, action="view_task", outcome="refused",
                             via="inbox", task_id=task_id, case_number=task.case_number,
                             reason="not involved in this case")
                return refuse(request, data, t("not_yours"))
            mine = [s for s in group(session, task) if s.status == ApprovalStatus.PENDING
                    and is_active(session, s) and may_act_for(session, user, s.assignee_key)]
            view = task_view(task)
            signers = [task_view(s) for s in group(session, task)]
            process, number = task.process, task.case_number
            audit.record(session, actor=user, action="view_task", via="inbox", task_id=task_id,
                         case_number=number)
        card = _card(process, number)
        return page(request, "task.html", data, {
            "task": view, "signers": signers, "card": card, "can_decide": bool(mine),
            "people": [(p.key, p.name) for p in policy.organisation.people if p.key != user],
            "now": now()})

    @app.post("/tasks/{task_id}/decide")
    def decide_task(request: Request, task_id: TASK_ID,
                    decision: Annotated[str, Form(max_length=32)],
                    comment: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
                    category: Annotated[str | None, Form(max_length=64)] = None,
                    person: Annotated[str | None, Form(max_length=128)] = None,
                    csrf_token: Annotated[str | None, Form()] = None) -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            audit.record_alone(actor="anonymous", action="decide", outcome="refused", via="inbox",
                               task_id=task_id, case_number=_case_of(task_id),
                               reason="not logged in")
            return refuse(request, data, translator(locale_of(request, None))("login"), 401)
        t = translator(locale_of(request, user))
        if not csrf_ok(data, csrf_token):
            audit.record_alone(actor=user, action="decide", outcome="refused", via="inbox",
                               task_id=task_id, case_number=_case_of(task_id), reason="csrf")
            return refuse(request, data, t("csrf"))
        try:
            with session_scope() as session:
                decided = decide(session, policy, task_id, actor=user, decision=decision,
                                 comment=comment.strip() or None,
                                 data={"category": category or None, "person": person or None},
                                 via="inbox")
                decided_id = decided.id
        except ApprovalError as refused:
            audit.record_alone(actor=user, action="decide", outcome="refused", via="inbox",
                               task_id=task_id, case_number=refused.case_number,
                               reason=str(refused))
            return refuse(request, data, f"{t('refused')}: {refused}", status=409)
        _wake(decided_id)
        return RedirectResponse(f"/tasks/{task_id}?done=1", status_code=303)

    @app.post("/tasks/{task_id}/{action}")
    def task_action(request: Request, task_id: TASK_ID,
                    action: Annotated[str, Path(pattern="^(delegate|add-signer|nudge)$")],
                    person: Annotated[str, Form(max_length=64)] = "",
                    position: Annotated[str, Form(max_length=16)] = "after",
                    csrf_token: Annotated[str | None, Form()] = None) -> Response:
        """转交, 加签 and 催办 from the task page, through the same functions as the CLI."""
        from tasks.approvals import add_signer, delegate_task, nudge

        data = read_session(request)
        user = data.get("u")
        if not user:
            return refuse(request, data, translator(locale_of(request, None))("login"), 401)
        t = translator(locale_of(request, user))
        if not csrf_ok(data, csrf_token):
            audit.record_alone(actor=user, action=action, outcome="refused", via="inbox",
                               task_id=task_id, case_number=_case_of(task_id), reason="csrf")
            return refuse(request, data, t("csrf"))
        try:
            with session_scope() as session:
                if action == "delegate":
                    delegate_task(session, policy, task_id, actor=user, to=person, via="inbox")
                elif action == "add-signer":
                    add_signer(session, policy, task_id, actor=user, person=person,
                               position=position, via="inbox")
                else:
                    task = session.get(ApprovalTask, task_id)
                    if task is None or not involved(session, user, task):
                        raise ApprovalError(f"approval task {task_id}: {user} is not involved",
                                            task)
                    nudge(session, policy, task_id, actor=user, via="inbox")
        except ApprovalError as refused:
            audit.record_alone(actor=user, action=action, outcome="refused", via="inbox",
                               task_id=task_id, case_number=refused.case_number,
                               reason=str(refused))
            return refuse(request, data, f"{t('refused')}: {refused}", status=409)
        from tasks.notify import dispatch_pending

        dispatch_pending()
        return RedirectResponse(f"/tasks/{task_id}?done={action}", status_code=303)

    def _wake(task_id: int) -> None:
        from runtime.runs import PrefectUnavailable, wake_task

        # Recorded either way; the worker's reconciler resumes the run when Prefect is back.
        with contextlib.suppress(PrefectUnavailable):
            wake_task(task_id, patience=2.0)

    def _card(process: str, number: str) -> dict:
        if process == "complaint":
            from tasks.case_card import complaint_view

            return complaint_view(number)
        return {"number": number}

    return app
