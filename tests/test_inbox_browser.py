"""The approvers' inbox in a real browser (Debian chromium, headless, driven by playwright)
against the real stack: Prefect server, worker, SMTP sink. A complaint waits for its handler;
the handler logs in, opens the link from the mail the SMTP sink captured, decides, and the
case moves on; the same link is refused the second time. Screenshots go to test-output/."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import KEFU, ROOT, wait_for

from runtime.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output"
PASSWORD = "correct horse battery"
LINK = re.compile(r"https?://\S+?(/l/[A-Za-z0-9_\-.]+)")


@pytest.fixture()
def inbox(kefu):
    port = free_port()
    log = (Path(kefu.env["KEFU_DATA_DIR"]) / "inbox.log").open("ab")
    server = subprocess.Popen([*KEFU, "inbox", "--port", str(port)], env=kefu.env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert server.poll() is None, "kefu inbox exited"
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=60, what="kefu inbox")
    yield base
    os.killpg(server.pid, 15)
    server.wait(timeout=30)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_decide_from_the_mailed_link_in_a_browser(kefu, mailbox, inbox, policy):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "scripts/setup installs Debian chromium"
    number = kefu.json("complaint", "file", "--channel", "phone", "--customer", "浏览器客户",
                       "--phone", "13800000000", "--content", "新买的酒口感发苦，风味不对",
                       "--email", "browser@customer.example")["number"]
    task = kefu.pending(number, "handling")
    person = policy.organisation.person(task["assignee"])
    done = subprocess.run([*KEFU, "users", "set-password", person.key, "--password-stdin"],
                          input=PASSWORD + "\n", env=kefu.env, cwd=ROOT, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr

    def mailed_link():
        for message in mailbox.to(person.email):
            if number in message["subject"] and (m := LINK.search(message["body"])):
                return m.group(1)
        return None
    # The link as mailed points at the policy's inbox address; this test's inbox runs on a
    # free port, so the same path is opened there.
    link = inbox + wait_for(mailed_link, timeout=60, what=f"the approval mail to {person.email}")
    SHOTS.mkdir(exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 800}, locale="zh-CN")
        page.goto(link)  # not logged in yet: the login page, then back to the link
        assert "/login" in page.url
        page.fill("#username", person.key)
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.wait_for_url(re.compile(rf"/tasks/{task['id']}$"))
        assert number in page.inner_text("h1")
        page.screenshot(path=str(SHOTS / "inbox-decision-page.png"), full_page=True)

        page.goto(inbox + "/")
        row = page.locator(f"tr.task[data-task='{task['id']}']")
        assert row.count() == 1 and number in row.inner_text()
        page.screenshot(path=str(SHOTS / "inbox-my-pending.png"), full_page=True)

        page.goto(inbox + f"/tasks/{task['id']}")
        page.select_option("#decision-select", "approve")
        page.fill("#comment", "抽检同批次，更换两箱 <b>不是粗体</b>")
        page.click("#submit")
        page.wait_for_selector("#status")
        assert page.get_attribute("#status", "data-status") == "decided"
        assert page.inner_text("#status") == "已决定"
        assert "<b>不是粗体</b>" in page.inner_text("#state")  # shown as text, not markup

        kefu.status(number, "feedback")  # the flow run resumed and the case moved on
        kefu.pending(number, "customer_feedback")
        page.reload()
        assert page.get_attribute("#case-status", "data-status") == "feedback"
        page.screenshot(path=str(SHOTS / "inbox-after-decision.png"), full_page=True)

        page.goto(link)  # the same link, a second time
        assert "已使用过" in page.inner_text("#message")
        page.screenshot(path=str(SHOTS / "inbox-link-replayed.png"), full_page=True)
        browser.close()
