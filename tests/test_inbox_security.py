"""The inbox's defences of issue 19 (items 5, 6, 9, 10), against the real ``kefu inbox``
server on a real SQLite database (the ``site`` of tests/test_inbox.py, one of its own for
this module): failed logins lock the account and the address; logout, a password change and
the session's fixed lifetime end a session, even for a copied cookie; every answer carries
the security headers; a task that does not exist and one that is not yours get one answer;
and a real browser refuses to show a logged-in page inside another origin's frame."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import test_inbox
from test_inbox import CSRF, PASSWORD, Site, csrf_of, serve_inbox

from runtime.ports import free_port

site = test_inbox.site  # the fixture: this module gets an inbox and a database of its own
own_mailbox = test_inbox.own_mailbox  # and its own SMTP sink

CHROMIUM = Path("/usr/bin/chromium")
LOCKED = "登录尝试次数过多"
NO_TASK = "找不到此事项，或您无权查看"


def with_cookies(site: Site, cookies: dict, base: str | None = None) -> httpx.Client:
    """A second client holding a copy of another's cookies, as someone who copied them."""
    client = site.client(base)
    client.headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return client


def post_login(client: httpx.Client, user: str, password: str, token: str) -> httpx.Response:
    return client.post("/login", data={"username": user, "password": password,
                                       "csrf_token": token, "next": "/"})


def to_login_page(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.fixture(scope="module")
def lifetime(policy) -> timedelta:
    ttl = policy.approvals.session_ttl
    assert ttl.unit == "hours", "these tests move the clock by hours"
    return timedelta(hours=ttl.amount)


def clock_server(site: Site, shift: timedelta, name: str) -> Iterator[str]:
    """One more inbox process on the same database whose clock (KEFU_NOW) is ``shift`` away."""
    moment = datetime.now(UTC) + shift
    env = {**site.env, "KEFU_NOW": moment.isoformat()}
    log = Path(site.env["KEFU_DATA_DIR"]) / f"inbox-{name}.log"
    with serve_inbox(env, free_port(), log) as base:
        yield base


@pytest.fixture(scope="module")
def earlier(site, lifetime):
    """The inbox an hour less than a session's lifetime ago."""
    yield from clock_server(site, -(lifetime - timedelta(hours=1)), "earlier")


@pytest.fixture(scope="module")
def later(site):
    """The inbox two hours from now."""
    yield from clock_server(site, timedelta(hours=2), "later")


# --- item 5: login throttling ----------------------------------------------------------------

def test_twenty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(site, later):
    account = "wu.ops"
    done = site.kefu("users", "set-password", account, "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    attacker = site.client(address="127.0.0.21")
    token = csrf_of(attacker, "/login")
    codes = [post_login(attacker, account, f"guess-{n}", token).status_code for n in range(20)]
    assert codes == [401] * 4 + [429] * 16  # the fifth failure locks the account

    # From another address, while locked: the right password gets the very answer a wrong
    # one gets, and no session.
    owner = site.client(address="127.0.0.22")
    token = csrf_of(owner, "/login")
    right, wrong = (post_login(owner, account, p, token) for p in (PASSWORD, "still-a-guess"))
    assert right.status_code == wrong.status_code == 429 and LOCKED in right.text
    assert right.text == wrong.text
    assert right.headers.get("set-cookie") == wrong.headers.get("set-cookie")
    assert owner.get("/").status_code == 303

    locks = site.audit(action="login_lock", actor=account)
    assert [(e.outcome, e.detail["scope"], e.detail["key"]) for e in locks] == [
        ("locked", "account", account)]
    refusals = [e.reason for e in site.audit(action="login", actor=account, outcome="refused")]
    assert refusals.count("wrong account or password") == 5
    assert sum(r.startswith("locked: account wu.ops") for r in refusals) == 17

    # The lock is kept in the database, not in the process: another inbox process, two hours
    # on (the first lock lasts 15 minutes), lets the owner in and clears the count.
    assert site.login(account, base=later, address="127.0.0.22").get("/").status_code == 200


def test_failures_on_many_accounts_from_one_address_lock_that_address(site):
    prober = site.client(address="127.0.0.31")
    token = csrf_of(prober, "/login")
    codes = [post_login(prober, f"nobody{n}", "guess", token).status_code for n in range(20)]
    assert codes == [401] * 19 + [429]
    assert post_login(prober, "chen.qe", PASSWORD, token).status_code == 429
    assert site.login("chen.qe", address="127.0.0.32").get("/").status_code == 200
    address_locks = [e.detail["key"] for e in site.audit(action="login_lock")
                     if e.detail["scope"] == "address"]
    assert address_locks == ["127.0.0.31"]


def test_each_further_lock_lasts_twice_as_long(database_url, monkeypatch):
    """On SQLite and PostgreSQL (the row is created and locked with each dialect's upsert)."""
    from inbox.settings import Throttling
    from inbox.throttle import current_lock, record_failure
    from models.db import session_scope
    from models.migrate import upgrade

    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    upgrade(database_url)
    limits = Throttling()
    account, address = f"doubling-{secrets.token_hex(4)}", f"10.9.{secrets.randbelow(250)}.1"
    start = datetime.now(UTC) - timedelta(days=3)  # long over before anyone else looks
    ends = []
    for moment in (start, start + timedelta(minutes=16)):
        monkeypatch.setenv("KEFU_NOW", moment.isoformat())
        with session_scope() as session:
            for _ in range(limits.account_failures):
                started = record_failure(session, limits, account, address)
            assert current_lock(session, account, "10.9.255.1").until == started[0].until
            ends.append(started[0].until - moment)
    assert ends == [limits.first_lock, 2 * limits.first_lock]


# --- item 6: sessions end --------------------------------------------------------------------

def test_a_cookie_copied_before_logout_is_refused_after(site):
    chen = site.login("chen.qe")
    thief = with_cookies(site, dict(chen.cookies))
    assert thief.get("/").status_code == 200
    stolen_token = csrf_of(thief)
    assert chen.post("/logout", data={"csrf_token": csrf_of(chen)}).status_code == 303
    assert to_login_page(thief.get("/"))
    answer = thief.post(f"/tasks/{site.tasks['first']}/decide",
                        data={"decision": "approve", "csrf_token": stolen_token})
    assert answer.status_code == 401
    assert site.audit(action="logout", actor="chen.qe")


def test_a_password_change_ends_every_session_of_that_account_and_no_other(site):
    first, second = site.login("liu.quality"), site.login("liu.quality")
    copies = [with_cookies(site, dict(c.cookies)) for c in (first, second)]
    bystander = site.login("chen.qe")
    assert [c.get("/").status_code for c in copies] == [200, 200]
    done = site.kefu("users", "set-password", "liu.quality", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert int(re.search(r"(\d+) inbox session", done.stdout).group(1)) >= 2
    assert all(to_login_page(c.get("/")) for c in (*copies, first, second))
    assert bystander.get("/").status_code == 200
    assert site.login("liu.quality").get("/").status_code == 200  # the new password works
    assert site.audit(action="set_password", actor="liu.quality")[-1].detail["sessions_ended"] >= 2


def test_a_session_ends_a_fixed_time_after_login_however_much_it_is_used(site, earlier, later):
    cookies = dict(site.login("chen.qe", base=earlier).cookies)  # 11 hours ago
    used = with_cookies(site, cookies).get("/")  # now: still open, and not extended
    assert used.status_code == 200 and "set-cookie" not in used.headers
    assert to_login_page(with_cookies(site, cookies, base=later).get("/"))  # 13 hours on


# --- item 9: headers and the cookie ------------------------------------------------------------

def test_every_answer_carries_the_security_headers(site):
    chen = site.login("chen.qe")
    answers = [chen.get(path) for path in ("/", f"/tasks/{site.tasks['first']}", "/login",
                                           "/healthz", "/no-such-page", "/lang/en?next=/")]
    answers += [site.client().get("/"), chen.post("/logout"), chen.get("/tasks/99999")]
    for answer in answers:
        headers = answer.headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, answer.url
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store", answer.url
    style = chen.get("/static/inbox.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert style.headers["x-content-type-options"] == "nosniff"
    for page in (answers[0].text, answers[1].text, answers[2].text):
        # Nothing the policy would block: no inline style or script, the one stylesheet.
        assert "<style" not in page and "<script" not in page and " style=" not in page
        assert '<link rel="stylesheet" href="/static/inbox.css">' in page


def test_over_https_the_session_cookie_is_secure_and_host_prefixed(site):
    env = {**site.env, "KEFU_INBOX_URL": "https://inbox.test.example"}
    with serve_inbox(env, free_port(), Path(site.env["KEFU_DATA_DIR"]) / "inbox-https.log") as base:
        form = site.client(base).get("/login")
        anonymous = form.headers["set-cookie"]
        login = site.client(base).post(
            "/login", headers={"Cookie": anonymous.split(";")[0]},
            data={"username": "chen.qe", "password": PASSWORD,
                  "csrf_token": CSRF.search(form.text).group(1)})
        assert login.status_code == 303, login.text
        for cookie in (anonymous, login.headers["set-cookie"]):
            attributes = [part.strip().lower() for part in cookie.split(";")]
            assert cookie.startswith("__Host-kefu_session=")
            assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(attributes)
            assert not any(a.startswith("domain") for a in attributes)
        assert login.headers["strict-transport-security"].startswith("max-age=")
        session = login.headers["set-cookie"].split(";")[0]
        assert site.client(base).get("/", headers={"Cookie": session}).status_code == 200
        plain = session.removeprefix("__Host-")  # the unprefixed name opens nothing there
        assert to_login_page(site.client(base).get("/", headers={"Cookie": plain}))
    over_http = site.client().get("/login").headers["set-cookie"]
    assert over_http.startswith("kefu_session=") and "secure" not in over_http.lower()


# --- item 10: one answer for "no such task" and "not yours" ------------------------------------

def test_a_missing_task_and_someone_elses_task_get_the_very_same_answer(site):
    sun = site.login("sun.admin")  # nothing to do with the test's cases
    token = csrf_of(sun)
    theirs, missing = site.tasks["first"], 2**31 - 1
    pages = [sun.get(f"/tasks/{n}") for n in (theirs, missing)]
    assert pages[0].status_code == pages[1].status_code == 404
    assert pages[0].text == pages[1].text and NO_TASK in pages[0].text
    for action, fields in (("decide", {"decision": "approve"}), ("delegate", {"person": "wu.ops"}),
                           ("add-signer", {"person": "wu.ops"}), ("nudge", {})):
        for n in (theirs, missing):
            answer = sun.post(f"/tasks/{n}/{action}", data={**fields, "csrf_token": token})
            assert (answer.status_code, answer.text) == (404, pages[0].text), (action, n)
    reasons = {e.reason for e in site.audit(actor="sun.admin", outcome="refused")}
    assert {"no such task", "not involved in this case"} <= reasons  # the log tells them apart


# --- a real browser and another origin's frame ----------------------------------------------

@pytest.fixture()
def framing_site(site) -> Iterator[str]:
    """Another origin (same host, another port: the same *site*, so the SameSite=Lax cookie
    goes along) whose page frames the inbox's decision page and one page of its own."""
    target = f"{site.base}/tasks/{site.tasks['first']}"

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = (f'<iframe id="inbox" src="{target}" width="800" height="600"></iframe>'
                    '<iframe id="own" src="/own"></iframe>' if self.path == "/"
                    else '<p id="own-page">a page of this origin</p>').encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_logged_in_decision_page_is_refused_inside_another_origins_frame(site, framing_site):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "scripts/setup installs Debian chromium"
    task = site.tasks["first"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN")
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(f"{site.base}/login?next=/tasks/{task}")
        page.fill("#username", "chen.qe")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.wait_for_url(re.compile(rf"/tasks/{task}$"))
        # The page itself works under its policy: styled from the stylesheet, nothing blocked.
        assert page.locator("#decide-form").count() == 1
        header = "getComputedStyle(document.querySelector('header')).backgroundColor"
        assert page.evaluate(header) == "rgb(31, 78, 121)"
        assert blocked == []

        page.goto(framing_site)
        page.wait_for_load_state("load")
        page.frame_locator("#own").locator("#own-page").wait_for(timeout=10_000)  # frames load
        page.wait_for_timeout(500)
        framed = [f for f in page.frames if f != page.main_frame and "/own" not in f.url]
        assert len(framed) == 1
        content = framed[0].content()  # Chromium's error page in its place
        assert "decide-form" not in content and "chen.qe" not in content
        browser.close()
