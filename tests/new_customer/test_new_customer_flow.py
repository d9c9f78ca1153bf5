"""A development project through its whole year on a real Prefect server with the real
worker, real mail to a real SMTP server; on SQLite and on PostgreSQL. Time moves with
KEFU_NOW. Every resume of a waiting run starts a flow process, so the whole year (twelve
decisions) runs once, on SQLite; PostgreSQL runs the same flow code through a rejection.
The many outcomes of each step are tested in test_new_customer_steps.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from conftest import wait_for

T0 = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def day(n: float) -> str:
    return (T0 + timedelta(days=n)).isoformat()


def show(kefu, number: str) -> dict:
    return kefu.json("new-customer", "show", number)


def pending(kefu, number: str, step: str, status: str = "pending") -> dict:
    """Wait for the flow to ask for a decision (``status="scheduled"``: to ask it ahead, for
    its day). Polled in the database (a `kefu` process per poll would compete with the worker
    for the CPU); what users see is checked with `show`."""
    from sqlalchemy import select

    from models import ApprovalTask
    from models.db import session_scope

    def find():
        with session_scope(kefu.env["KEFU_DATABASE_URL"]) as session:
            return session.scalar(select(ApprovalTask.id).where(
                ApprovalTask.case_number == number, ApprovalTask.step == step,
                ApprovalTask.status == status))
    task_id = wait_for(find, timeout=90, what=f"a {status} {step} task on {number}")
    return next(a for a in show(kefu, number)["approvals"] if a["id"] == task_id)


def status(kefu, number: str, wanted: str) -> dict:
    from sqlalchemy import select

    from models import Prospect
    from models.db import session_scope

    def reached():
        with session_scope(kefu.env["KEFU_DATABASE_URL"]) as session:
            return session.scalar(select(Prospect.status).where(Prospect.number == number)) == wanted
    wait_for(reached, timeout=90, what=f"{number} to be {wanted}")
    return show(kefu, number)


def decide(kefu, number: str, step: str, at: str, *extra: str) -> dict:
    task = pending(kefu, number, step)
    kefu.run("approvals", "decide", str(task["id"]), "--as", task["assignee"], "--decision",
             "approve", "--comment", f"{step} ok", *extra, now=at)
    return task


def mail(mailbox, who: str, words: str, number: str) -> list[dict]:
    return [m for m in mailbox.to(f"{who}@distillery.example")
            if number in m["subject"] and words in m["subject"]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_prospect_through_its_whole_year(kefu, mailbox):
    applied = kefu.json("new-customer", "apply", "--name", "华东铸造厂", "--product-line",
                        "cast_balls", "--expected-annual-revenue", "3500000", "--owner",
                        "zheng.sales", now=day(0))
    number = applied["number"]
    assert applied["qualified"]

    # 立项: review group → deputy leader → leader.
    chain = [decide(kefu, number, step, day(0.1 * (i + 1)))["assignee"]
             for i, step in enumerate(("feasibility", "audit", "approve"))]
    assert chain == ["lin.dev", "xu.deputy", "wang.gm"]
    assert wait_for(lambda: mail(mailbox, "wang.gm", "立项批准", number), what="the leader's mail")

    # Budget within 7 days; deputy and finance audit, the leader approves.
    budget = pending(kefu, number, "budget_submit")
    assert budget["due_at"].startswith("2026-11-30")
    kefu.run("new-customer", "budget", number, "--amount", "20000", now=day(2))
    for i, step in enumerate(("budget_audit", "budget_finance", "budget_approve")):
        decide(kefu, number, step, day(2.1 + 0.1 * i))
    view = status(kefu, number, "developing")
    # Every review is visible ahead of time, soonest first.
    assert view["next_review"]["review"] == "tracking_reminder"
    assert [r["review"] for r in view["reviews"]] == [
        "tracking_reminder", "tracking", "attention_90", "special_study_180", "report_365"]

    # Day 31: no tracking record → the shared sweep escalates to the owner and superior.
    kefu.run("escalations", "run", now=day(31))
    assert mail(mailbox, "zheng.sales", "逾期", number) and mail(mailbox, "li.east", "逾期", number)
    kefu.run("new-customer", "track", number, "--note", "拜访采购部，报价中", now=day(33))
    # Day 91: no progress recorded → special attention to the deputy leader and the leader.
    kefu.run("escalations", "run", now=day(91))
    for who in ("xu.deputy", "wang.gm"):
        assert mail(mailbox, who, "特别关注", number), who

    # Day 180: the sweep opens the special study (asked at 立项, mailed only now), which
    # decides to continue; day 365: the year report chain opens the same way, and its leader
    # hands the project over to the sales company.
    assert not mail(mailbox, "lin.dev", "六个月专题研究", number)
    kefu.run("escalations", "run", now=day(180.5))
    assert wait_for(lambda: mail(mailbox, "lin.dev", "六个月专题研究", number),
                    what="the special study's mail on day 180")
    decide(kefu, number, "special_study", day(181), "--outcome", "continue")
    assert pending(kefu, number, "report_review", status="scheduled")["opens_at"]
    kefu.run("escalations", "run", now=day(365.5))
    for i, step in enumerate(("report_review", "report_audit")):
        decide(kefu, number, step, day(366 + 0.1 * i))
    decide(kefu, number, "report_approve", day(366.3), "--outcome", "hand_over")

    # Won: 客户基本信息表 within 5 working days, with a temporary tier reviewed 6 months on.
    registration = pending(kefu, number, "registration")
    assert registration["assignee"] == "zheng.sales"
    kefu.run("new-customer", "register", number, "--phone", "021-55550000", "--territory", "east",
             now=day(368))
    view = status(kefu, number, "won")
    assert view["customer"]["grade_temporary"] is True
    assert view["customer"]["grade_review_due_at"][:7] == (T0 + timedelta(days=368 + 182)).isoformat()[:7]
    assert view["next_review"] is None
    assert all(a["status"] != "pending" for a in view["approvals"])
    _assert_dashboard_shows_the_project(kefu, number, view)


def test_a_rejected_application_and_one_below_the_threshold(kefu, mailbox):
    rejected = kefu.json("new-customer", "apply", "--name", "华南设备厂", "--product-line",
                         "equipment", "--expected-annual-revenue", "1200000", "--owner",
                         "zheng.sales", now=day(0))["number"]
    task = pending(kefu, rejected, "feasibility")
    kefu.run("approvals", "decide", str(task["id"]), "--as", "lin.dev", "--decision", "reject",
             "--comment", "客户资信不足", now=day(1))
    view = status(kefu, rejected, "rejected")
    told = wait_for(lambda: mail(mailbox, "zheng.sales", "立项可行性评审", rejected),
                    what="the applicant's mail")
    assert "客户资信不足" in told[0]["body"]
    api = kefu.env["KEFU_PREFECT_API_URL"]
    wait_for(lambda: httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json()["state_type"]
             == "COMPLETED", what="the rejected project's run to complete")

    below = kefu.json("new-customer", "apply", "--name", "小型设备商", "--product-line", "equipment",
                      "--expected-annual-revenue", "999999", "--owner", "zheng.sales", now=day(0))
    assert not below["qualified"] and "below the equipment threshold" in below["reason"]
    override = pending(kefu, below["number"], "qualification_override")
    assert override["assignee"] == "wang.gm" and override["decisions"] == ["approve", "reject"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_withdrawn_application_ends_its_waiting_run(kefu, mailbox):
    number = kefu.json("new-customer", "apply", "--name", "西北铸造厂", "--product-line",
                       "cast_balls", "--expected-annual-revenue", "3500000", "--owner",
                       "zheng.sales", now=day(0))["number"]
    pending(kefu, number, "feasibility")
    kefu.run("new-customer", "withdraw", number, "--reason", "客户改变采购计划", now=day(1))
    view = status(kefu, number, "withdrawn")
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json())
                   ["state_type"] == "CANCELLED" and r, what="the withdrawn project's run to end")
    assert "客户改变采购计划" in run["state"]["message"]
    assert [a["status"] for a in view["approvals"]] == ["cancelled"]


def _assert_dashboard_shows_the_project(kefu, number: str, view: dict) -> None:
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json())
                   ["state_type"] == "COMPLETED" and r, what="the flow run to complete")
    assert run["name"] == f"prospect {number}" and "process:new_customer" in run["tags"]
    cards = httpx.post(f"{api}/artifacts/latest/filter", json={
        "artifacts": {"key": {"any_": [f"prospect-{number.lower()}"]}}, "limit": 1}).json()
    card = cards[0]["data"].replace("\\", "") if cards else ""  # the card escapes Markdown
    assert "## 评审" in card and "已移交销售公司" in card
    overview = httpx.post(f"{api}/artifacts/latest/filter", json={
        "artifacts": {"key": {"any_": ["new-customer-projects"]}}, "limit": 1}).json()
    table = str(overview[0]["data"]).replace("\\", "")
    assert number in table and "next_review" in table
