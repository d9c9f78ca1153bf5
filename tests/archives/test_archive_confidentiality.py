"""000 D11 / 000 D9 §1.5 / 004 第19条 / 001 §6.10 end to end, on the real Prefect server, the
real ``kefu worker``, the real ``kefu inbox`` and the real SMTP sink, with ``KEFU_NOW`` moving
through a loan:

an archived complaint marked 机密 is refused to a person without an approved loan — in the
inbox's case page, through a signed link's task page (checked in chromium too), through the
API and in the CLI — and every refusal is in the audit log; the general manager approves the
loan (another department's record), the borrower reads it until the loan ends (3 days, to close
of business of day 3), the loan is escalated on day 4 by the sweep (mail in the sink), and after
the return it is refused again; destruction waits for all three approvals in order."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from conftest import KEFU, ROOT, Kefu, kefu_env, wait_for

from runtime.ports import free_port
from tests.test_inbox import PASSWORD, Site, log_in_browser, serve_inbox

# Monday 7 December 2026, Shanghai time: the request, the GM's decision, then the loan's days.
REQUESTED = "2026-12-07T10:00:00+08:00"
DECIDED = "2026-12-07T10:30:00+08:00"
DURING = "2026-12-08T12:00:00+08:00"      # the inbox's clock: Tuesday, within the loan
LAST_DAY = "2026-12-10T17:00:00+08:00"    # Thursday, day 3: still lent
DAY_FOUR = "2026-12-11T09:30:00+08:00"    # Friday, day 4: overdue
CONTENT = "经销商投诉的机密处理记录：赔偿金额十二万元"
CHROMIUM = Path("/usr/bin/chromium")


def _archived_complaint(number: str) -> None:
    """An archived complaint of 质量部 with the engineer's decided handling task (the case's
    own history), written as the complaint process leaves one."""
    from models import ApprovalTask, ArchiveRecord, Clock, Complaint, Customer
    from models.db import session_scope

    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    with session_scope() as session:
        customer = Customer(name="机密经销商", phone="13900000000", created_at=at)
        session.add(customer)
        session.flush()
        session.add(Complaint(number=number, policy_name="distillery-d2", channel="phone",
                              customer_id=customer.id, content=CONTENT, status="archived",
                              category="quality", department_key="quality",
                              handler_key="chen.qe", received_at=at, closed_at=at))
        session.add(ArchiveRecord(process="complaint", case_number=number, important=True,
                                  archived_at=at, retention_until=None, summary={}))
        clock = Clock(process="complaint", case_number=number, name="handling", round=1,
                      owner_key="chen.qe", due_at=at, escalation_level=0, met_at=at)
        session.add(clock)
        session.flush()
        session.add(ApprovalTask(process="complaint", case_number=number, step="handling", clock=clock,
                                 round=1, label="投诉处理", assignee_key="chen.qe",
                                 allowed_decisions=["approve"], choices={}, due_at=at,
                                 created_at=at, status="decided", decision="approve",
                                 decided_by="chen.qe", decided_at=at, decision_data={}))


@pytest.fixture(scope="module")
def stack(prefect_api, tmp_path_factory):
    from aiosmtpd.controller import Controller
    from conftest import Mailbox

    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    data = tmp_path_factory.mktemp("archives")
    port = free_port()
    env = {**kefu_env(data, f"sqlite:///{data / 'kefu.db'}", prefect_api, box.port),
           "KEFU_INBOX_URL": f"http://127.0.0.1:{port}", "KEFU_SECRET_KEY": "archives-test-key-" + "x" * 20}
    kefu = Kefu(env={**env, "KEFU_NOW": REQUESTED})   # the worker's clock: the request's day
    kefu.run("init")
    for person in ("sun.admin", "chen.qe", "wang.gm"):
        subprocess.run([*KEFU, "users", "set-password", person, "--password-stdin"], env=env,
                       cwd=ROOT, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    kefu.start_worker()
    with pytest.MonkeyPatch.context() as mp:
        for key in ("KEFU_DATA_DIR", "KEFU_DATABASE_URL", "KEFU_MAIL_URL", "KEFU_INBOX_URL",
                    "KEFU_SECRET_KEY"):
            mp.setenv(key, env[key])
        mp.setenv("KEFU_NOW", DURING)
        _archived_complaint("TS-2026-000777")
        with serve_inbox({**env, "KEFU_NOW": DURING}, port, data / "inbox.log") as base:
            yield Site(env, base, box), kefu, "TS-2026-000777"
    kefu.kill_worker()
    controller.stop()


def _cli(kefu: Kefu, *args: str, now: str) -> subprocess.CompletedProcess:
    return kefu.run(*args, now=now, check=False)


def _pending(kefu: Kefu, number: str, step: str) -> int:
    found = wait_for(lambda: kefu._peek(
        "SELECT coalesce(max(id), 0) FROM approval_tasks WHERE case_number = :n AND step = :s"
        " AND status = 'pending'", n=number, s=step), timeout=120, what=f"{step} of {number}")
    return int(found)


def _refused_everywhere(site: Site, kefu: Kefu, number: str, link_path: str, intake: str) -> None:
    admin = site.login("sun.admin")                  # sees every complaint (case viewer) …
    page = admin.get(f"/cases/{number}")
    assert page.status_code == 403 and "机密档案" in page.text and CONTENT not in page.text
    engineer = site.login("chen.qe")                 # … and the engineer's own old link
    opened = engineer.get(link_path)
    assert opened.status_code == 303
    task_page = engineer.get(opened.headers["location"])
    assert task_page.status_code == 403 and CONTENT not in task_page.text
    api = httpx.get(f"{site.base}/api/v1/complaints/{number}",
                    headers={"Authorization": f"Bearer {intake}"}, timeout=30)
    assert api.status_code == 403 and CONTENT not in api.text
    shown = _cli(kefu, "complaint", "show", number, "--as", "sun.admin", now=DURING)
    assert shown.returncode == 2 and CONTENT not in shown.stdout
    [line] = shown.stderr.strip().splitlines()
    assert line.startswith("error: --as:") and "confidential" in line


def test_a_confidential_archive_is_read_only_on_an_approved_loan_which_escalates_on_day_four(stack):
    site, kefu, number = stack
    from models import ArchiveRequest
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.links import issue_link

    assert _cli(kefu, "archives", "mark", number, "--level", "confidential", "--as", "liu.quality",
                now=REQUESTED).returncode == 0
    with session_scope() as session:
        link = issue_link(session, load_policy(), next(
            t.id for t in session.query(__import__("models").ApprovalTask).filter_by(case_number=number)),
            "chen.qe")
    link_path = "/l/" + link.split("/l/", 1)[1]
    intake = kefu.run("api-keys", "create", "--name", "hotline", "--scope", "intake").stdout.split()[0]

    _refused_everywhere(site, kefu, number, link_path, intake)
    refusals = [e for e in site.audit(action="read_archive") if e.outcome == "refused"]
    assert {e.via for e in refusals} == {"inbox", "api", "cli"} and len(refusals) >= 4

    if CHROMIUM.exists():   # the refusal page as the engineer's browser shows it
        from playwright.sync_api import sync_playwright

        with session_scope() as session:
            again = issue_link(session, load_policy(), next(
                t.id for t in session.query(__import__("models").ApprovalTask).filter_by(case_number=number)),
                "chen.qe")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            page = browser.new_page()
            log_in_browser(page, site.base + "/l/" + again.split("/l/", 1)[1], "chen.qe", r"/tasks/\d+")
            text = page.content()
            Path("test-output").mkdir(exist_ok=True)
            page.screenshot(path="test-output/archive-refused.png")
            browser.close()
        assert "机密档案" in text and CONTENT not in text

    # 借阅: 营销办管理部 asks for 质量部's record → another department's → the general manager.
    filed = kefu.json("archives", "request", number, "--as", "sun.admin", "--reason", "复核赔偿",
                      now=REQUESTED)
    loan = filed["number"]
    task_id = _pending(kefu, loan, "borrow_approval")
    assert kefu.json("archives", "show", loan, now=REQUESTED)["approvals"][0]["assignee"] == "wang.gm"
    asked = site.login("wang.gm").get(f"/tasks/{task_id}")     # the request beside the task
    assert asked.status_code == 200 and "复核赔偿" in asked.text and "孙主任" in asked.text
    assert CONTENT not in asked.text
    kefu.run("approvals", "decide", str(task_id), "--as", "wang.gm", "--decision", "approve",
             now=DECIDED)
    _pending(kefu, loan, "return")                    # lent: the borrower's to-do 归还
    with session_scope() as session:
        lent = session.query(ArchiveRequest).filter_by(number=loan).one()
        assert lent.status == "on_loan"
        assert lent.due_at == datetime(2026, 12, 10, 10, 0, tzinfo=UTC)   # Thursday 18:00
    wait_for(lambda: site.mailbox.to("sun.admin@distillery.example"), what="the loan's mail")
    assert any("归还" in m["subject"] for m in site.mailbox.to("sun.admin@distillery.example"))

    # During the loan the borrower reads it in the inbox (its clock: Tuesday) and the CLI.
    admin = site.login("sun.admin")
    page = admin.get(f"/cases/{number}")
    assert page.status_code == 200 and CONTENT in page.text
    assert _cli(kefu, "archives", "show", number, "--as", "sun.admin", now=LAST_DAY).returncode == 0
    after = _cli(kefu, "archives", "show", number, "--as", "sun.admin", now=DAY_FOUR)
    assert after.returncode == 2 and "不得查阅" in after.stdout   # the loan has ended

    # Day 3: nothing overdue. Day 4: the borrower and their superior are told.
    kefu.run("escalations", "run", now=LAST_DAY)
    assert not [m for m in site.mailbox.messages if "档案借阅" in m["subject"] and "逾期" in m["subject"]]
    kefu.run("escalations", "run", now=DAY_FOUR)
    overdue = wait_for(lambda: [m for m in site.mailbox.messages
                                if loan in m["subject"] and "逾期" in m["subject"]],
                       what="the day-4 escalation mail")
    told = {to for m in overdue for to in m["to"]}
    assert {"sun.admin@distillery.example", "zhao.director@distillery.example"} <= told

    # Returned: the loan is over, the inbox refuses again.
    kefu.run("archives", "return", loan, "--as", "sun.admin", now=DAY_FOUR)
    assert admin.get(f"/cases/{number}").status_code == 403
    assert kefu.json("archives", "show", loan, now=DAY_FOUR)["status"] == "returned"


def test_destruction_needs_all_three_approvals_in_order(stack):
    site, kefu, number = stack
    filed = kefu.json("archives", "destroy", number, "--as", "chen.qe", "--reason", "保管期满",
                      now=REQUESTED)
    request = filed["number"]
    for step, person in (("destroy_1", "sun.admin"), ("destroy_2", "zhao.director")):
        task_id = _pending(kefu, request, step)
        kefu.run("approvals", "decide", str(task_id), "--as", person, "--decision", "approve",
                 now=DECIDED)
    last = _pending(kefu, request, "destroy_3")
    # Two approvals are not enough: the record is there, the general manager reads it.
    gm = _cli(kefu, "archives", "show", number, "--as", "wang.gm", now=DECIDED)
    assert gm.returncode == 0 and "可以查阅" in gm.stdout
    kefu.run("approvals", "decide", str(last), "--as", "wang.gm", "--decision", "approve",
             now=DECIDED)
    wait_for(lambda: kefu._peek("SELECT count(*) FROM archive_requests WHERE number = :n AND "
                                "status = 'destroyed'", n=request), what="the destruction")
    gone = _cli(kefu, "archives", "show", number, "--as", "wang.gm", now=DECIDED)
    assert gone.returncode == 2 and "destroyed" in gone.stdout
