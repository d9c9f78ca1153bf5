"""A compensation proposed in the inbox (004 D5 §2.9), in a real browser (Debian chromium,
headless, driven by playwright): under a policy with a compensation authority table the
handler's decision page asks the amount, as ``kefu approvals decide --amount`` and the API's
``amount`` do; an amount that is not a whole positive number of 元 is refused naming the field
and nothing is recorded; a good one is recorded with the decision, shown on the task, and
sends the compensation to the approver the table names for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT

from runtime.ports import free_port
from tests.test_inbox import PASSWORD, Site, at_handling, inbox_env, log_in_browser, serve_inbox

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output"
POLICY = "004-d5-car-dealer"


@pytest.fixture()
def handling(tmp_path, mailbox, monkeypatch) -> Iterator[SimpleNamespace]:
    """A kefu inbox of the car dealer's policy (no Prefect server: decisions are recorded and
    wait for the reconciler) and a quality complaint taken to its handling decision by the
    complaint's own steps."""
    from models import ApprovalTask
    from models.db import session_scope
    from policy.load import load_policy

    port = free_port()
    env = {**inbox_env(tmp_path, f"http://127.0.0.1:{port}", mailbox.port), "KEFU_POLICY": POLICY}
    for key in ("KEFU_DATA_DIR", "KEFU_DATABASE_URL", "KEFU_MAIL_URL", "KEFU_INBOX_URL",
                "KEFU_SECRET_KEY", "KEFU_PREFECT_API_URL", "KEFU_POLICY"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("KEFU_NOW", raising=False)
    site = Site(env, f"http://127.0.0.1:{port}", mailbox)
    assert site.kefu("init").returncode == 0
    policy = load_policy()
    assert policy.complaint.compensation is not None, f"{POLICY} has an authority table"
    number, task_id = at_handling(policy, "赔偿测试", "新车交付时包装破损，要求补偿")
    with session_scope() as session:
        handler = session.get(ApprovalTask, task_id).assignee_key
    for person in (handler, "wang.gm"):
        done = site.kefu("users", "set-password", person, "--password-stdin", stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    with serve_inbox(env, port, tmp_path / "inbox.log"):
        yield SimpleNamespace(site=site, number=number, task_id=task_id, handler=handler,
                              policy=policy)


def _recorded(task_id: int) -> tuple:
    """What the task and its case hold: status, decision, its data, the case's story's length."""
    from sqlalchemy import func, select

    from models import ApprovalTask, CaseEvent
    from models.db import session_scope

    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        story = session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.case_number == task.case_number))
        return task.status, task.decision, task.decision_data, story


def _approve_with(page, url: str, amount: str, lands_on: str) -> None:  # noqa: ANN001 (playwright)
    page.goto(url)
    page.select_option("#decision-select", "approve")
    page.fill("#amount", amount)
    page.fill("#comment", "补漆并赔偿")
    page.click("#submit")
    page.wait_for_selector(lands_on)


def test_the_handler_proposes_a_compensation_in_the_inbox_and_a_bad_amount_is_refused(handling):
    from playwright.sync_api import sync_playwright

    from models import ApprovalTask
    from models.db import session_scope
    from tasks.complaint.case import apply_handling_decision
    from tasks.complaint.variant_steps import request_compensation

    site, task_id = handling.site, handling.task_id
    url = f"{site.base}/tasks/{task_id}"
    assert CHROMIUM.exists(), "scripts/setup installs Debian chromium"
    before = _recorded(task_id)
    assert before[:2] == ("pending", None) and not before[2]
    SHOTS.mkdir(exist_ok=True)
    bad_amounts = ("八千", "12.5", "-300", "0")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="zh-CN")
        log_in_browser(page, url, handling.handler, rf"/tasks/{task_id}$")
        assert page.inner_text("label[for=amount]") == "赔偿金额（元，不赔偿则留空）"

        for bad in bad_amounts:
            _approve_with(page, url, bad, lands_on="#message")
            refusal = page.inner_text("#message")
            assert "无法办理: 赔偿金额（元）: " in refusal, (bad, refusal)
            assert _recorded(task_id) == before, bad  # nothing recorded
        page.screenshot(path=str(SHOTS / "inbox-compensation-refused.png"), full_page=True)

        _approve_with(page, url, " 8000 ", lands_on="#decision-amount")
        assert page.get_attribute("#status", "data-status") == "decided"
        assert page.inner_text("#decision-amount") == "8000"
        assert "赔偿金额（元）" in page.inner_text("#state")
        page.screenshot(path=str(SHOTS / "inbox-compensation-recorded.png"), full_page=True)
        browser.close()

    refused = site.audit(action="decide", outcome="refused", task_id=task_id)
    assert len(refused) == len(bad_amounts) and all("--amount" in r.reason for r in refused)
    status, decision, data, _ = _recorded(task_id)
    assert (status, decision, data["amount"]) == ("decided", "approve", 8000)
    # What the flow does next (its steps are plain functions): 2,001–20,000 元 goes to the GM,
    # whose own decision page proposes nothing.
    assert apply_handling_decision(handling.policy, handling.number, task_id,
                                   last_step=True) == "compensation"
    asked = request_compensation(handling.policy, handling.number, task_id, None)
    with session_scope() as session:
        compensation = session.get(ApprovalTask, asked)
        assert compensation.assignee_key == "wang.gm" and "8000" in compensation.label
    shown = site.login("wang.gm").get(f"/tasks/{asked}").text
    assert 'id="decision-select"' in shown and 'name="amount"' not in shown
