"""The inbox's security, against the real ``kefu inbox`` server (a subprocess) on a real
SQLite database, with approval messages delivered to the real SMTP sink (``mailbox``):
sessions and CSRF, forged / expired / replayed / someone else's links, only the assignee (or
their delegate) decides — from the inbox and from the Prefect UI form alike — comments with
HTML and SQL are stored and shown escaped, everything is in the audit log, and a hypothesis
run over the HTTP endpoints gets no server error."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from conftest import KEFU, ROOT, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from models import ApprovalTask, AuditEntry
from models.db import engine, session_scope
from runtime.ports import free_port

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+?/l/[A-Za-z0-9_\-.]+)")


class Site:
    def __init__(self, env: dict, base: str, mailbox) -> None:
        self.env, self.base, self.mailbox = env, base, mailbox
        self.tasks: dict[str, int] = {}
        self.numbers: list[str] = []

    def kefu(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*KEFU, *args], env=self.env, cwd=ROOT, input=stdin, text=True,
                              capture_output=True, timeout=120)

    def client(self, base: str | None = None, address: str | None = None) -> httpx.Client:
        """A client of this inbox (or of another server, ``base``), from ``address`` when
        given: any 127.x.y.z is this machine, so throttling tests can come from elsewhere."""
        transport = httpx.HTTPTransport(local_address=address) if address else None
        return httpx.Client(base_url=base or self.base, follow_redirects=False, timeout=30,
                            transport=transport)

    def login(self, user: str, password: str = PASSWORD, base: str | None = None,
              address: str | None = None) -> httpx.Client:
        client = self.client(base, address)
        token = CSRF.search(client.get("/login").text).group(1)
        answer = client.post("/login", data={"username": user, "password": password,
                                             "csrf_token": token, "next": "/"})
        assert answer.status_code == 303, answer.text
        return client

    def link_for(self, address: str, number: str) -> str:
        def found():
            for message in self.mailbox.to(address):
                if number in message["subject"] and (m := LINK.search(message["body"])):
                    return m.group(1)
            return None
        return wait_for(found, timeout=30, what=f"a decision link to {address}")

    def path(self, link: str) -> str:
        return "/l/" + link.split("/l/", 1)[1]

    def audit(self, **where) -> list[AuditEntry]:
        with session_scope(self.env["KEFU_DATABASE_URL"]) as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            for key, value in where.items():
                query = query.where(getattr(AuditEntry, key) == value)
            return list(session.scalars(query))


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    return CSRF.search(client.get(path).text).group(1)


@contextlib.contextmanager
def serve_inbox(env: dict, port: int, log: Path) -> Iterator[str]:
    """``kefu inbox`` as a subprocess with ``env``; yields its address once it answers, and
    checks at the end that not one request ended in an unhandled exception on its side."""
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        server = subprocess.Popen([*KEFU, "inbox", "--port", str(port)], env=env, cwd=ROOT,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def up() -> bool:
        assert server.poll() is None, log.read_text()
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=60, what="the inbox server")
        yield base
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def at_handling(policy, customer: str, content: str) -> tuple[str, int]:
    """A phone complaint taken to its first handling decision by the complaint's own steps
    (the flow's steps as plain functions): its number and the handling task's id."""
    from tasks.complaint import case
    from tasks.complaint.intake import file_complaint, parse_complaint

    number = file_complaint(policy, parse_complaint(
        policy, channel="phone", customer=customer, phone="13800000000", content=content)).number
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    return number, case.request_handling_step(policy, number, policy.complaint.handling_steps[0],
                                              None)


def log_in_browser(page, url: str, user: str, lands_on: str) -> None:  # noqa: ANN001 (playwright)
    """Open ``url`` in a browser page, log in as ``user`` on the login page it leads to, and
    wait to land on ``lands_on`` (a regular expression of the URL)."""
    page.goto(url)
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(re.compile(lands_on))


def inbox_env(data: Path, base: str, mail_port: int) -> dict:
    """The environment of a ``kefu inbox`` of a test's own: SQLite in ``data``, mail to the
    SMTP sink on ``mail_port``, links to ``base``, and no Prefect server (decisions are
    recorded and wait for the reconciler)."""
    env = {**os.environ, "KEFU_DATA_DIR": str(data),
           "KEFU_DATABASE_URL": f"sqlite:///{data / 'kefu.db'}",
           "KEFU_MAIL_URL": f"mailto://127.0.0.1:{mail_port}?from=kefu@test.example&mode=insecure",
           "KEFU_INBOX_URL": base, "KEFU_SECRET_KEY": secrets.token_urlsafe(32),
           "KEFU_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}
    env["PREFECT_API_URL"] = env["KEFU_PREFECT_API_URL"]
    for name in ("KEFU_NOW", "KEFU_POLICY"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def serving(env: dict, port: int, log: Path) -> Iterator[str]:
    """:func:`serve_inbox`, with this test process reading the same database and settings
    (the steps a test takes as plain functions write where the server reads)."""
    with pytest.MonkeyPatch.context() as mp, serve_inbox(env, port, log) as base:
        for key in ("KEFU_DATA_DIR", "KEFU_DATABASE_URL", "KEFU_MAIL_URL", "KEFU_INBOX_URL",
                    "KEFU_SECRET_KEY", "KEFU_PREFECT_API_URL"):
            mp.setenv(key, env[key])
        mp.delenv("KEFU_NOW", raising=False)
        mp.delenv("KEFU_POLICY", raising=False)
        yield base


@pytest.fixture(scope="module")
def own_mailbox():
    """An SMTP sink of this module's own: the session's sink also gets other modules' mail,
    whose case numbers (each database starts at TS-…-000001) and links look like ours."""
    from aiosmtpd.controller import Controller
    from conftest import Mailbox

    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, own_mailbox, policy):
    mailbox = own_mailbox
    data = tmp_path_factory.mktemp("inbox")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = inbox_env(data, base, mailbox.port)
    s = Site(env, base, mailbox)
    assert s.kefu("init").returncode == 0
    for person in ("chen.qe", "liu.quality", "sun.admin"):
        done = s.kefu("users", "set-password", person, "--password-stdin", stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    with serving(env, port, data / "inbox.log"):
        # Two quality complaints at their handling decision, asked of the quality engineer.
        from tasks.notify import dispatch_pending

        for name in ("first", "second"):
            number, s.tasks[name] = at_handling(policy, "网页测试", "新买的酒口感发苦，风味不对")
            s.numbers.append(number)
        dispatch_pending()
        yield s


def test_login_gives_an_httponly_samesite_session_and_checks_password_and_csrf(site):
    client = site.client()
    assert client.get("/").status_code == 303  # not logged in: to the login page
    token = csrf_of(client, "/login")
    assert client.post("/login", data={"username": "chen.qe", "password": PASSWORD}).status_code == 403
    wrong = client.post("/login", data={"username": "chen.qe", "password": "nope-nope",
                                        "csrf_token": token})
    assert wrong.status_code == 401 and "账号或密码不正确" in wrong.text
    ok = client.post("/login", data={"username": "chen.qe", "password": PASSWORD,
                                     "csrf_token": token})
    cookie = ok.headers["set-cookie"].lower()
    assert ok.status_code == 303 and "httponly" in cookie and "samesite=lax" in cookie
    inbox = client.get("/")
    assert inbox.status_code == 200
    assert site.numbers[0] in inbox.text and site.numbers[1] in inbox.text
    assert [e.outcome for e in site.audit(action="login", actor="chen.qe")][-2:] == ["refused", "ok"]
    assert "我的待办审批" in inbox.text  # zh-CN by default; English on request
    client.get("/lang/en?next=/")
    assert "My pending approvals" in client.get("/").text


def test_my_pending_approvals_are_sorted_by_due_time_with_overdue_and_at_risk_marks(site, policy):
    from tasks import approvals as ap
    from tasks.case_context import case_context
    from tasks.deadlines import now

    ids = {}
    with session_scope() as session:
        for step, due in (("later", now() + timedelta(hours=2)),      # at risk: within 4 h
                          ("late", now() - timedelta(hours=1))):      # overdue
            ids[step] = ap.request_approval(session, policy, ap.ApprovalRequest(
                process="complaint", case_number=site.numbers[1], step=step, label=step,
                assignee="chen.qe", due_at=due,
                context=case_context(session, policy, "complaint", site.numbers[1]))).id
    page = site.login("chen.qe").get("/").text
    order = [int(n) for n in re.findall(r'data-task="(\d+)"', page)]
    assert order[:2] == [ids["late"], ids["later"]]  # soonest due first
    rows = page.split('class="task"')
    marks = {int(re.search(r'data-task="(\d+)"', r).group(1)): re.search(r'class="mark (\w+)"', r).group(1)
             for r in rows[1:]}
    assert marks[ids["late"]] == "overdue" and marks[ids["later"]] == "at_risk"
    assert marks[site.tasks["first"]] == "on_time"
    with session_scope() as session:  # out of the way of the tests that follow
        for task_id in ids.values():
            ap.decide(session, policy, task_id, actor="chen.qe", decision="approve")


def test_forged_link_is_refused_and_logged(site):
    link = site.link_for("chen.qe@distillery.example", site.numbers[0])
    path = site.path(link)
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    chen = site.login("chen.qe")
    answer = chen.get(forged)
    assert answer.status_code == 403 and "链接无效" in answer.text
    answer = chen.get("/l/" + "x" * 40)
    assert answer.status_code == 403
    assert any(e.reason.startswith("forged") for e in site.audit(action="link_use",
                                                                 outcome="refused"))


def test_another_persons_link_is_refused_then_it_works_once_for_its_owner(site):
    path = site.path(site.link_for("chen.qe@distillery.example", site.numbers[0]))
    liu = site.login("liu.quality")
    answer = liu.get(path)
    assert answer.status_code == 403 and "不是发给您" in answer.text
    chen = site.login("chen.qe")
    opened = chen.get(path)
    assert opened.status_code == 303 and opened.headers["location"] == f"/tasks/{site.tasks['first']}"
    replay = chen.get(path)
    assert replay.status_code == 403 and "已使用过" in replay.text
    reasons = [e.reason.split(":")[0] for e in site.audit(action="link_use", outcome="refused")]
    assert "other_person" in reasons and "replayed" in reasons
    assert site.audit(action="link_use", outcome="ok", task_id=site.tasks["first"])


def test_an_expired_link_is_refused(site, policy, monkeypatch):
    from tasks.deadlines import now
    from tasks.links import issue_link

    monkeypatch.setenv("KEFU_NOW", (now() - timedelta(hours=73)).isoformat())  # link_ttl 72h
    with session_scope() as session:
        link = issue_link(session, policy, site.tasks["first"], "chen.qe")
    monkeypatch.delenv("KEFU_NOW")
    answer = site.login("chen.qe").get(site.path(link))
    assert answer.status_code == 403 and "已过期" in answer.text
    assert any(e.reason.startswith("expired") for e in site.audit(action="link_use",
                                                                  outcome="refused"))


def test_a_post_without_the_sessions_csrf_token_is_refused(site):
    task = site.tasks["first"]
    chen = site.login("chen.qe")
    liu = site.login("liu.quality")
    assert chen.post(f"/tasks/{task}/decide", data={"decision": "approve"}).status_code == 403
    stolen = csrf_of(liu)
    answer = chen.post(f"/tasks/{task}/decide", data={"decision": "approve", "csrf_token": stolen})
    assert answer.status_code == 403 and "CSRF" in answer.text
    anonymous = site.client().post(f"/tasks/{task}/decide", data={"decision": "approve"})
    assert anonymous.status_code == 401
    with session_scope() as session:
        assert session.get(ApprovalTask, task).status == "pending"
    assert len([e for e in site.audit(action="decide", outcome="refused", task_id=task)
                if e.reason == "csrf"]) == 2


def test_only_the_assignee_decides_in_the_inbox(site):
    task = site.tasks["first"]
    liu = site.login("liu.quality")
    answer = liu.post(f"/tasks/{task}/decide", data={"decision": "approve",
                                                    "csrf_token": csrf_of(liu)})
    assert answer.status_code == 409 and "assigned to chen.qe" in answer.text
    assert site.audit(action="decide", outcome="refused", actor="liu.quality", task_id=task)
    # sun.admin has nothing to do with this case: not even the page (the answer for a task
    # that does not exist; tests/test_inbox_security.py compares the two).
    assert site.login("sun.admin").get(f"/tasks/{task}").status_code == 404


def test_cli_nudge_is_rate_limited_and_bad_input_is_one_line_exit_2(site):
    task = str(site.tasks["first"])
    first = site.kefu("approvals", "nudge", task, "--as", "sun.admin")
    assert first.returncode == 0, first.stderr
    again = site.kefu("approvals", "nudge", task, "--as", "sun.admin")
    assert again.returncode == 2 and "next nudge is allowed" in again.stderr
    wrong = site.kefu("approvals", "delegate", task, "--as", "chen.qe", "--to", "nobody")
    assert wrong.returncode == 2 and "--to" in wrong.stderr
    foreign = site.kefu("approvals", "add-signer", task, "--as", "sun.admin", "--person", "wang.gm")
    assert foreign.returncode == 2 and "may not add signers" in foreign.stderr
    short = site.kefu("users", "set-password", "chen.qe", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "password" in short.stderr
    assert site.audit(action="add_signer", outcome="refused", task_id=int(task))
    assert len(site.audit(action="nudge", outcome="ok", task_id=int(task))) == 1
    assert site.kefu("users", "delegate", "wang.gm", "--to", "nobody").returncode == 2
    assert site.kefu("users", "delegate", "wang.gm", "--to", "xu.deputy",
                     "--until", "2020-01-01T00:00").returncode == 2      # in the past
    standing = site.kefu("users", "delegate", "wang.gm", "--to", "xu.deputy")
    assert standing.returncode == 0 and "xu.deputy may decide wang.gm" in standing.stdout


def test_add_signer_and_nudge_from_the_task_page(site):
    task = site.tasks["first"]
    chen = site.login("chen.qe")
    assert 'id="add-signer-form"' in chen.get(f"/tasks/{task}").text
    added = chen.post(f"/tasks/{task}/add-signer", data={
        "person": "liu.quality", "position": "after", "csrf_token": csrf_of(chen)})
    assert added.status_code == 303, added.text
    liu = site.login("liu.quality")
    page = liu.get(f"/tasks/{task}").text  # now a signer: may view, may not decide yet
    assert 'id="nudge-form"' in page and 'id="decide-form"' not in page
    # 催办 is rate-limited per task: the CLI nudged this task a moment ago.
    again = liu.post(f"/tasks/{task}/nudge", data={"csrf_token": csrf_of(liu)})
    assert again.status_code == 409 and "next nudge" in again.text
    sun = site.login("sun.admin")
    outsider = sun.post(f"/tasks/{site.tasks['second']}/nudge", data={"csrf_token": csrf_of(sun)})
    assert outsider.status_code == 404 and "无权查看" in outsider.text
    assert site.audit(action="add_signer", outcome="ok", task_id=task)


def test_html_and_sql_in_a_comment_are_stored_as_text_and_shown_escaped(site):
    task = site.tasks["first"]
    comment = "<script>alert('x')</script><b>粗</b>'); DROP TABLE approval_tasks; --"
    chen = site.login("chen.qe")
    answer = chen.post(f"/tasks/{task}/decide", data={"decision": "approve", "comment": comment,
                                                     "csrf_token": csrf_of(chen)})
    assert answer.status_code == 303, answer.text
    page = chen.get(f"/tasks/{task}").text
    assert "&lt;script&gt;alert(" in page and "<script>alert" not in page
    assert "&lt;b&gt;粗&lt;/b&gt;" in page
    assert "approval_tasks" in inspect(engine(site.env["KEFU_DATABASE_URL"])).get_table_names()
    with session_scope() as session:
        decided = session.get(ApprovalTask, task)
        assert (decided.status, decided.decided_by, decided.comment) == ("decided", "chen.qe", comment)
    again = chen.post(f"/tasks/{task}/decide", data={"decision": "reject",
                                                    "csrf_token": csrf_of(chen)})
    assert again.status_code == 409 and "already decided" in again.text
    # 加签 after chen.qe: now it is liu.quality's turn, in liu's inbox.
    with session_scope() as session:
        liu_task = session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.case_number == decided.case_number,
            ApprovalTask.assignee_key == "liu.quality"))
    assert f'data-task="{liu_task}"' in site.login("liu.quality").get("/").text


def test_the_prefect_ui_form_goes_through_the_same_checks(site, policy):
    from flows.await_decision import take_form_input
    from tasks.links import issue_form_code

    task = site.tasks["second"]
    # A name typed into the form proves nothing; the person is whose one-time code it carries.
    assert take_form_input.fn(task, {"decided_by": "chen.qe", "decision": "approve"}) is False
    assert site.audit(action="form_code", outcome="refused", via="prefect-ui", task_id=task)
    with session_scope() as session:
        codes = {p: issue_form_code(session, policy, task, p) for p in ("liu.quality", "chen.qe")}
    assert take_form_input.fn(task, {"code": codes["liu.quality"], "decision": "approve"}) is False
    assert site.audit(action="decide", outcome="refused", via="prefect-ui", task_id=task)
    assert take_form_input.fn(task, {"code": codes["chen.qe"], "decision": "approve",
                                     "comment": "UI"}) is True
    with session_scope() as session:
        assert session.get(ApprovalTask, task).decided_by == "chen.qe"


def test_kefu_audit_show_lists_views_decisions_refusals_and_link_uses(site):
    done = site.kefu("audit", "show", site.numbers[0], "--json")
    assert done.returncode == 0, done.stderr
    import json

    seen = {(row["action"], row["outcome"]) for row in json.loads(done.stdout)}
    assert {("view_task", "ok"), ("decide", "ok"), ("decide", "refused"), ("link_use", "ok"),
            ("link_use", "refused")} <= seen
    text = site.kefu("audit", "show", site.numbers[0]).stdout
    assert "link_use" in text and "refused" in text
    with pytest.raises(Exception, match="append-only"), session_scope(site.env["KEFU_DATABASE_URL"]) as s:
        s.execute(AuditEntry.__table__.delete())


def test_kefu_audit_show_prints_one_line_per_entry_whatever_was_stored(site):
    """Issue 19 §8: a stored actor or reason with a newline (rows from before the actor was
    checked) cannot print a forged `chen.qe … decide ok` line."""
    from tasks import audit

    number = site.numbers[1]
    before = [line for line in site.kefu("audit", "show", number).stdout.splitlines()
              if not line.startswith("no audit entries")]
    with session_scope(site.env["KEFU_DATABASE_URL"]) as s:
        audit.record(s, actor="x\n2026-12-02 10:00  chen.qe", action="decide", via="prefect-ui",
                     outcome="refused", case_number=number, reason="bad\n2026-12-02 10:01  chen.qe "
                     "decide ok prefect-ui \u202eko")
    after = site.kefu("audit", "show", number).stdout.splitlines()
    assert len(after) == len(before) + 1
    assert not any(line.startswith("2026-12-02 10:0") for line in after)
    assert "\u202e" not in "\n".join(after)


PATHS = st.sampled_from(["/", "/login", "/tasks/{n}", "/tasks/{n}/decide", "/l/{text}",
                         "/lang/{text}", "/logout", "/healthz", "/{text}"])
FIELDS = st.dictionaries(
    st.sampled_from(["username", "password", "decision", "comment", "category", "person",
                     "csrf_token", "next"]),
    st.one_of(st.text(max_size=80), st.sampled_from(["approve", "reject", "chen.qe", "/"])),
    max_size=6)


@settings(max_examples=50, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST"]), path=PATHS, data=FIELDS,
       n=st.one_of(st.integers(), st.text(max_size=12)), text=st.text(max_size=60),
       with_csrf=st.booleans())
def test_no_request_makes_the_inbox_fail(site, method, path, data, n, text, with_csrf):
    from urllib.parse import quote

    client = getattr(test_no_request_makes_the_inbox_fail, "client", None)
    if client is None:
        client = test_no_request_makes_the_inbox_fail.client = site.login("liu.quality")
        test_no_request_makes_the_inbox_fail.token = csrf_of(client)
    url = path.format(n=quote(str(n), safe=""), text=quote(text, safe=""))
    if with_csrf:
        data = {**data, "csrf_token": test_no_request_makes_the_inbox_fail.token}
    answer = client.request(method, url, data=data if method == "POST" else None)
    assert answer.status_code < 500, (method, url, data, answer.text[:300])


def test_a_superior_reassigns_an_away_engineers_task_and_delegations_are_shown(site, policy):
    """Issue 21 §8: the assignee's superior sees the task and reassigns it, with a reason; a
    standing delegation shows on the inbox page of both people."""
    number, task = at_handling(policy, "改派测试", "酒的口感不对")
    liu = site.login("liu.quality")
    page = liu.get(f"/tasks/{task}").text
    assert 'id="reassign-form"' in page and 'id="decide-form"' not in page
    moved = liu.post(f"/tasks/{task}/reassign", data={
        "person": "sun.admin", "reason": "陈工休假", "csrf_token": csrf_of(liu)})
    assert moved.status_code == 303, moved.text
    assert site.audit(action="reassign", outcome="ok", actor="liu.quality", task_id=task)
    sun = site.login("sun.admin")
    assert task in [int(r) for r in re.findall(r'data-task="(\d+)"', sun.get("/").text)]
    # sun.admin holds the task now but is nobody's superior here: no reassign form for them,
    # and chen.qe, no longer involved as assignee, is no superior of sun.admin either.
    assert 'id="reassign-form"' not in sun.get(f"/tasks/{task}").text

    assert site.kefu("users", "delegate", "chen.qe", "--to", "liu.quality").returncode == 0
    assert "我的审批由此人代办" in site.login("chen.qe").get("/").text
    assert "我代办此人的审批" in liu.get("/").text
