"""The approvers' inbox (``kefu inbox``): log in, my pending approvals, the case card, decide.

Server-rendered pages (Jinja2, autoescaped). A login opens a session kept on the server
(``inbox.sessions``: logout and a password change end it, it ends at a fixed time) behind an
HttpOnly, SameSite=Lax cookie (``Secure`` and ``__Host-`` over https); the session carries a
CSRF token that every form must echo. Failed logins lock the account or the address for a
while (``inbox.throttle``). Every answer carries the headers of ``inbox.headers``. A task that
does not exist and one the person may not see get one answer. Decisions go through
``tasks.approvals.decide`` — the same checks as the CLI and the Prefect UI form — and every
view, decision, refusal and link use is written to the audit log.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import FastAPI, Form, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select

from inbox.auth import authenticate
from inbox.headers import SecurityHeaders
from inbox.i18n import LOCALES, translator, worder
from inbox.sessions import end_session, live_session, open_session
from inbox.settings import served_over_https, throttling
from inbox.throttle import (
    ACCOUNT,
    Lock,
    address_key,
    current_lock,
    forget_failures,
    record_failure,
)
from models import ApprovalStatus, ApprovalTask, Notification
from models.db import session_scope
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
from tasks.confidentiality import check_read_alone
from tasks.deadlines import calendar_for, local_time, now, uncertain_of
from tasks.decision_checks import check_decision
from tasks.links import LinkRefused, secret_key, use_link

TASK_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_COMMENT = 4000
# The policy's role for whoever runs kefu: sees the calendar's missing years in the header.
ADMIN_ROLE = "admin"
# A refused decision's field, named by the process's check as the CLI's option, shown by its
# form label (a word of inbox/i18n.py).
FORM_LABELS = {"--amount": "amount_recorded"}
STATIC = FilePath(__file__).parent / "static"


@dataclass(frozen=True)
class LoginResult:
    """A login attempt: a new session's token and lifetime, or the lock that refused it."""

    token: str | None = None
    seconds: int | None = None
    lock: Lock | None = None


def labelled(reason: str, t) -> str:
    """``--amount: …`` as ``赔偿金额（元）: …`` in the reader's language."""
    option, colon, why = reason.partition(": ")
    return f"{t(FORM_LABELS[option])}: {why}" if colon and option in FORM_LABELS else reason


def create_app() -> FastAPI:
    app = FastAPI(title="kefu inbox", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(FilePath(__file__).parent / "templates"))
    policy = load_policy()
    tz = policy.calendar.timezone
    templates.env.filters["local"] = lambda moment: local_time(moment, tz)
    calendar = calendar_for(policy.calendar)
    limits = throttling()
    https = served_over_https(policy)
    # __Host-: a Secure cookie of this host only, which no sibling subdomain can set or shadow.
    cookie = "__Host-kefu_session" if https else "kefu_session"
    signer = URLSafeSerializer(secret_key(), salt="kefu-inbox-session-v2")
    app.add_middleware(SecurityHeaders, https=https)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from inbox.api import create_api  # the HTTP API (issue 17 §1): its own OpenAPI schema
    app.mount("/api/v1", create_api(policy))

    # --- sessions, CSRF, pages ------------------------------------------------------------
    # Logged in, the cookie carries {"s": token} and the session is a row (inbox.sessions);
    # before login it carries only {"c": csrf} for the login form, and nothing is stored.

    def read_session(request: Request) -> dict:
        data = _unsigned(request.cookies.get(cookie))
        token = data.get("s")
        if isinstance(token, str):
            with session_scope() as session:
                row = live_session(session, token)
                if row is not None and _is_person(row.person_key):
                    return {"u": row.person_key, "c": row.csrf, "s": token}
        elif isinstance(data.get("c"), str):
            return {"u": None, "c": data["c"]}
        return {"u": None, "c": secrets.token_urlsafe(24), "new": True}

    def _unsigned(raw: str | None) -> dict:
        if not raw:
            return {}
        try:
            data = signer.loads(raw)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}

    def _is_person(key: str) -> bool:
        try:
            policy.organisation.person(key)
        except KeyError:
            return False
        return True

    def set_cookie(response: Response, value: dict, max_age: int | None = None) -> Response:
        response.set_cookie(cookie, signer.dumps(value), max_age=max_age, httponly=True,
                            samesite="lax", secure=https, path="/")
        return response

    def save_session(response: Response, data: dict) -> Response:
        """Only the anonymous form token is (re)issued with a page; a login's cookie is set
        once, at login, so using the inbox never extends it."""
        if data.get("u") is None:
            set_cookie(response, {"c": data["c"]})
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
            request, name, {"t": translator(locale), "w": worder(locale, policy), "locale": locale,
                            "user": data.get("u"),
                            "user_name": _name(data.get("u")), "csrf": data["c"],
                            "calendar_years": calendar_years_for(data.get("u")),
                            "owner_of": owner_of(data.get("u")), **context},
            status_code=status)
        return save_session(response, data)

    def owner_of(user: str | None) -> str | None:
        """'all' for the policy's case viewers, 'department' for a head, else None: which of
        the cases and statistics pages the header links to."""
        from tasks.complaint.listing import departments_visible_to

        if not user:
            return None
        visible = departments_visible_to(policy, user)
        return "all" if visible is None else "department" if visible else None

    def calendar_years_for(user: str | None) -> list[dict]:
        """For an admin (role ``admin`` in the policy): the years from now to a year after the
        furthest open deadline whose holidays are only estimated or unknown (issue 21 §5)."""
        if not user or not _is_admin(user):
            return []
        from tasks.clocks import calendar_years_ahead

        with session_scope() as session:
            return uncertain_of(policy, calendar_years_ahead(session, policy))

    def _is_admin(key: str) -> bool:
        try:
            return ADMIN_ROLE in policy.organisation.person(key).roles
        except KeyError:
            return False

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
            response.set_cookie("kefu_lang", locale, httponly=True, samesite="lax", secure=https,
                                path="/")
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
        address = address_key(request.client.host if request.client else None)
        with session_scope() as session:
            result = attempt_login(session, data, username, password, address)
        if result.lock is not None:
            # The same answer whatever the password: a lock must not confirm a guess.
            return page(request, "login.html", data,
                        {"next": safe_next(next), "error": "locked"}, status=429)
        if result.token is None:
            return page(request, "login.html", data,
                        {"next": safe_next(next), "error": "bad_login"}, status=401)
        return set_cookie(RedirectResponse(safe_next(next), status_code=303),
                          {"s": result.token}, max_age=result.seconds)

    def attempt_login(session, data: dict, username: str, password: str,
                      address: str) -> LoginResult:
        """Check the locks, then the password; count a failure, open a session on success.
        Every outcome is audited, a lock that starts too."""
        account = username[:64]
        lock = current_lock(session, account, address)
        if lock is not None:
            audit.record(session, actor=account, action="login", outcome="refused", via="inbox",
                         reason=f"locked: {lock.describe(tz)}", address=address)
            return LoginResult(lock=lock)
        if not authenticate(session, policy, username, password):
            audit.record(session, actor=account, action="login", outcome="refused", via="inbox",
                         reason="wrong account or password", address=address)
            started = record_failure(session, limits, account, address)
            for new in started:
                limit = (limits.account_failures if new.scope == ACCOUNT
                         else limits.address_failures)
                audit.record(session, actor=account, action="login_lock", outcome="locked",
                             via="inbox", reason=f"{limit} failed logins within "
                             f"{limits.window}: {new.describe(tz)}", address=address,
                             scope=new.scope, key=new.key, until=new.until)
            return LoginResult(lock=started[0] if started else None)
        forget_failures(session, account)
        if data.get("s"):
            end_session(session, data["s"], reason="new login")
        token, row = open_session(session, policy, account)
        audit.record(session, actor=account, action="login", via="inbox", address=address,
                     until=row.expires_at)
        return LoginResult(token=token,
                           seconds=max(1, int((row.expires_at - now()).total_seconds())))

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Response:
        data = read_session(request)
        if not csrf_ok(data, csrf_token):
            return refuse(request, data, translator(locale_of(request, data.get("u")))("csrf"))
        if data.get("s"):
            with session_scope() as session:
                end_session(session, data["s"], reason="logout")
                audit.record(session, actor=data["u"], action="logout", via="inbox")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(cookie, path="/", secure=https, httponly=True, samesite="lax")
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
            delegations = standing_delegations(session, user, moment)
        return page(request, "inbox.html", data, {"rows": rows, "delegations": delegations})

    def standing_delegations(session, user: str, moment) -> list[dict]:
        """The standing delegations (kefu users delegate) the user gives or holds, now on."""
        from models import Delegation

        rows = session.scalars(select(Delegation).where(
            or_(Delegation.principal_key == user, Delegation.delegate_key == user),
            Delegation.revoked_at.is_(None), Delegation.starts_at <= moment,
            or_(Delegation.ends_at.is_(None), Delegation.ends_at > moment)))
        return [{"mine": d.principal_key == user, "until": d.ends_at,
                 "other": _name(d.delegate_key if d.principal_key == user else d.principal_key)}
                for d in rows]

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

    def is_superior(user: str, person: str) -> bool:
        from tasks.people import superior_chain

        try:
            return user in superior_chain(person, policy.organisation)
        except KeyError:
            return False

    def involved(session, user: str, task: ApprovalTask) -> bool:
        """Who may see a case: its signers (and their delegates), people it was sent to
        (CC, escalations), who decided on it, and the superiors of its assignee (who may
        reassign the task when the assignee is away)."""
        if is_superior(user, task.assignee_key):
            return True
        whose = [user, *principals_of(session, user)]
        return session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.case_number == task.case_number,
            or_(ApprovalTask.assignee_key.in_(whose), ApprovalTask.decided_by == user)).limit(1)
        ) is not None or session.scalar(select(Notification.id).where(
            Notification.case_number == task.case_number, Notification.recipient == user).limit(1)
        ) is not None

    def hidden(user: str, task_id: int, action: str) -> bool:
        """Whether the task is missing or not the user's to see (then audited as refused).
        Both get one answer, so task ids cannot be probed for which exist (issue 19, 10)."""
        with session_scope() as session:
            task = session.get(ApprovalTask, task_id)
            if task is not None and involved(session, user, task):
                return False
            audit.record(session, actor=user, action=action, outcome="refused", via="inbox",
                         task_id=task_id, case_number=task.case_number if task else None,
                         reason="no such task" if task is None else "not involved in this case")
            return True

    def proposes_compensation(process: str, step: str) -> bool:
        """A complaint's handling decision may propose a compensation where the policy has an
        authority table (004 D5 §2.9): the form asks its amount, as the CLI and the API do."""
        return (process == "complaint" and policy.complaint.compensation is not None
                and any(s.key == step for s in policy.complaint.handling_steps))

    def no_task(request: Request, data: dict, t) -> Response:
        return refuse(request, data, t("no_task"), status=404)

    @app.get("/tasks/{task_id}", response_class=HTMLResponse)
    def task_page(request: Request, task_id: TASK_ID) -> Response:
        data = read_session(request)
        user = data.get("u")
        if not user:
            return to_login(request)
        t = translator(locale_of(request, user))
        if hidden(user, task_id, "view_task"):
            return no_task(request, data, t)
        with session_scope() as session:
            task = session.get(ApprovalTask, task_id)
            mine = [s for s in group(session, task) if s.status == ApprovalStatus.PENDING
                    and is_active(session, s) and may_act_for(session, user, s.assignee_key)]
            view = task_view(task)
            signers = [task_view(s) for s in group(session, task)]
            process, number = task.process, task.case_number
            can_reassign = (task.status == ApprovalStatus.PENDING
                            and is_superior(user, task.assignee_key))
            audit.record(session, actor=user, action="view_task", via="inbox", task_id=task_id,
                         case_number=number)
        if process == "complaint" and not check_read_alone(
                policy, user, "complaint", number, actor=user, via="inbox").allowed:
            return refuse(request, data, t("archive_refused"))  # a signed link is no way round
        card = _card(process, number)
        return page(request, "task.html", data, {
            "task": view, "process": process, "signers": signers, "card": card,
            "can_decide": bool(mine),
            "takes_amount": proposes_compensation(process, view["step"]),
            "can_reassign": can_reassign,
            "people": [(p.key, p.name) for p in policy.organisation.people if p.key != user],
            "everyone": [(p.key, p.name) for p in policy.organisation.people],
            "now": now()})

    @app.post("/tasks/{task_id}/decide")
    def decide_task(request: Request, task_id: TASK_ID,
                    decision: Annotated[str, Form(max_length=32)],
                    comment: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
                    category: Annotated[str | None, Form(max_length=64)] = None,
                    person: Annotated[str | None, Form(max_length=128)] = None,
                    outcome: Annotated[str | None, Form(max_length=64)] = None,
                    grade: Annotated[str | None, Form(max_length=16)] = None,
                    overrides: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
                    attendees: Annotated[list[str] | None, Form()] = None,
                    a_support_plan: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
                    amount: Annotated[str, Form(max_length=32)] = "",
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
        if hidden(user, task_id, "decide"):
            return no_task(request, data, t)
        try:
            # What each process's decision carries (a review's outcome, a pre-grade's overrides,
            # the meeting's attendees, a compensation's amount), checked by the process as on
            # every other path.
            from tasks.tier.case import parse_overrides

            with session_scope() as session:
                task = session.get(ApprovalTask, task_id)
            carried = check_decision(policy, task, {
                "category": category or None, "person": person or None,
                "outcome": outcome or None, "grade": grade or None,
                **({"overrides": parse_overrides(overrides.splitlines())} if overrides.strip() else {}),
                **({"attendees": attendees} if attendees else {}),
                **({"amount": amount.strip()} if amount.strip() else {}),
                **({"a_support_plan": a_support_plan.strip()} if a_support_plan.strip() else {})})
            with session_scope() as session:
                decided = decide(session, policy, task_id, actor=user, decision=decision,
                                 comment=comment.strip() or None, data=carried, via="inbox")
                decided_id = decided.id
        except ApprovalError as refused:
            audit.record_alone(actor=user, action="decide", outcome="refused", via="inbox",
                               task_id=task_id, case_number=refused.case_number,
                               reason=str(refused))
            return refuse(request, data, f"{t('refused')}: {labelled(str(refused), t)}",
                          status=409)
        _wake(decided_id)
        return RedirectResponse(f"/tasks/{task_id}?done=1", status_code=303)

    @app.post("/tasks/{task_id}/{action}")
    def task_action(request: Request, task_id: TASK_ID,
                    action: Annotated[str, Path(pattern="^(delegate|add-signer|nudge|reassign)$")],
                    person: Annotated[str, Form(max_length=64)] = "",
                    reason: Annotated[str, Form(max_length=200)] = "",
                    position: Annotated[str, Form(max_length=16)] = "after",
                    csrf_token: Annotated[str | None, Form()] = None) -> Response:
        """转交, 加签, 催办 and a superior's reassignment from the task page, through the same
        functions as the CLI."""
        from tasks.approvals import add_signer, delegate_task, nudge, reassign_for_absent

        data = read_session(request)
        user = data.get("u")
        if not user:
            return refuse(request, data, translator(locale_of(request, None))("login"), 401)
        t = translator(locale_of(request, user))
        if not csrf_ok(data, csrf_token):
            audit.record_alone(actor=user, action=action, outcome="refused", via="inbox",
                               task_id=task_id, case_number=_case_of(task_id), reason="csrf")
            return refuse(request, data, t("csrf"))
        if hidden(user, task_id, action):
            return no_task(request, data, t)
        try:
            with session_scope() as session:
                if action == "delegate":
                    delegate_task(session, policy, task_id, actor=user, to=person, via="inbox")
                elif action == "add-signer":
                    add_signer(session, policy, task_id, actor=user, person=person,
                               position=position, via="inbox")
                elif action == "reassign":
                    reassign_for_absent(session, policy, task_id, actor=user, to=person,
                                        reason=reason, via="inbox")
                else:
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

    from inbox.owner import add_owner_routes  # the process owner's cases (issue 17 §3)
    from inbox.reports import add_report_routes  # their statistics (issue 17 §4)
    from inbox.tier_files import add_tier_file_routes  # the tier results workbook (issue 21 §10)
    for add in (add_owner_routes, add_report_routes, add_tier_file_routes):
        add(app, policy, page=page, read_session=read_session, to_login=to_login,
            locale_of=locale_of)

    def _card(process: str, number: str) -> dict:
        """The case beside its task: the complaint's fields, or the project's card and the
        tier assessment's table as ``kefu new-customer show`` / ``kefu tiers show`` print them."""
        if process == "complaint":
            from tasks import labels
            from tasks.complaint.card import complaint_view
            from tasks.complaint.report_views import category_name

            view = complaint_view(number)
            org = policy.organisation
            return {**view, "category_label": (category_name(policy, view["category"], "zh-CN")
                                               if view["category"] else None),
                    "department_name": labels.department(view["department"], org)}
        if process == "new_customer":
            from tasks.new_customer.card import prospect_card_text

            return {"number": number, "text": prospect_card_text(number)}
        if process == "tier":
            from tasks.tier.grades import case_text

            return {"number": number, "text": case_text(number)}
        if process == "visit":
            from tasks.visit.card import card_text

            return {"number": number, "text": card_text(number)}
        if process == "archives":  # the request, never the archived record itself
            from tasks.archives.case import request_text

            return {"number": number, "text": request_text(policy, number)}
        if process == "survey":  # the analysis and the corrective actions beside the task
            from tasks.survey.card import survey_card_text

            return {"number": number, "text": survey_card_text(number)}
        if process == "credit":  # the limit, the excess and the customer beside the signature
            from tasks.credit.card import request_card_text

            return {"number": number, "text": request_card_text(number)}
        return {"number": number}

    return app
