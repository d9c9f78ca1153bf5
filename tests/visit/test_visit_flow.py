"""A salesperson's visit month and a customer's site visit on a real Prefect server with the
real worker and real mail to a real SMTP server, time moved with KEFU_NOW: the plan is missed
at month end (escalated), handed in, approved by the superior; one visit's report is missed
(escalated to the salesperson and superior, then the next superior), then filed late; the
plan closes when every visit is reported. A key customer's site visit not confirmed within its
notice escalates to the approver. One server stack for the module (the session's)."""

from __future__ import annotations

import httpx
import pytest
from conftest import wait_for

SH = "+08:00"


def at(text: str) -> str:
    return f"{text}{SH}"


def task(kefu, number: str, step: str, status: str = "pending") -> dict:
    """Wait until the flow has asked ``step`` (polled in the database: a `kefu` process per
    poll would compete with the worker for the CPU), then read it as `kefu visits show` does."""
    what = f"a {status} {step} task on {number}"
    wait_for(lambda: kefu._peek(
        "SELECT count(*) FROM approval_tasks WHERE case_number = :number AND step = :step"
        " AND status = :status", number=number, step=step, status=status), timeout=90, what=what)
    return next(t for t in kefu.json("visits", "show", number)["approvals"]
                if t["step"] == step and t["status"] == status)


def mail(mailbox, who: str, number: str, words: str) -> list[dict]:
    return [m for m in mailbox.to(f"{who}@distillery.example")
            if number in m["subject"] and words in m["subject"]]


def mailed(mailbox, who: str, number: str, words: str) -> list[dict]:
    return wait_for(lambda: mail(mailbox, who, number, words), timeout=30,
                    what=f"a mail to {who} on {number} saying {words}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_month_of_visits_with_a_missed_report_escalated(kefu, mailbox):
    # Opened on a day already past (the worker sends the plan's request by the real clock,
    # so a message queued at a frozen future time would wait for it); every later day is ahead.
    opened = kefu.json("visits", "open", "--month", "2027-03", now=at("2026-11-20T09:00"))
    number = next(n for n in opened if kefu.json("visits", "show", n)["salesperson"] == "zheng.sales")
    submit = task(kefu, number, "plan_submit")
    assert submit["assignee"] == "zheng.sales" and submit["due_at"].startswith("2027-02-28 10:00")
    assert wait_for(lambda: mail(mailbox, "zheng.sales", number, "提交2027-03客户拜访计划书"),
                    what="the salesperson asked for the plan")

    # 004 3.1: 每月底提出下月客户拜访计划书 — missed at month end, the sweep escalates it.
    kefu.run("escalations", "run", now=at("2027-02-28T18:30"))
    for who in ("zheng.sales", "li.east"):
        mailed(mailbox, who, number, "逾期 第1级")

    kefu.run("visits", "plan", "--as", "zheng.sales", "--month", "2027-03",
             "--visit", "2027-03-05,华东铸造厂,了解需求", "--visit", "2027-03-11,华南设备厂,回访",
             now=at("2027-03-01T09:00"))
    review = task(kefu, number, "plan_review")
    assert review["assignee"] == "li.east"
    kefu.run("approvals", "decide", str(review["id"]), "--as", "li.east", "--decision", "approve",
             "--comment", "同意", now=at("2027-03-01T10:00"))
    assert wait_for(lambda: mail(mailbox, "zheng.sales", number, "审核2027-03客户拜访计划书"),
                    what="the salesperson told of the approval")

    # Each visit's report is asked ahead and opens on the visit's day.
    first = task(kefu, number, "visit_report:1", status="scheduled")
    second = task(kefu, number, "visit_report:2", status="scheduled")
    # 004 3.4: 两天内 — Friday 5 March → Tuesday 9 March; Thursday 11 March → Monday 15 March.
    assert first["due_at"].startswith("2027-03-09 10:00") and second["due_at"].startswith("2027-03-15 10:00")
    early = kefu.run("visits", "report", f"{number}-01", "--note", "提前写", check=False,
                     now=at("2027-03-04T09:00"))
    assert early.returncode == 2 and early.stderr.strip().startswith(
        f"error: --visit: {number}-01 is on 2027-03-05: its report opens 2027-03-05 00:00")

    kefu.run("escalations", "run", now=at("2027-03-05T08:00"))  # the day: the report opens
    mailed(mailbox, "zheng.sales", number, "提交客户拜访报告：2027-03-05 华东铸造厂")

    # Not filed by Tuesday's close of business: the salesperson and the superior, then the
    # next superior a working day later.
    kefu.run("escalations", "run", now=at("2027-03-09T18:30"))
    for who in ("zheng.sales", "li.east"):
        mailed(mailbox, who, number, "逾期 第1级】客户拜访 " + number + "：提交客户拜访报告")
    assert not mail(mailbox, "he.sales", number, "逾期")
    kefu.run("escalations", "run", now=at("2027-03-10T18:30"))
    escalated = mailed(mailbox, "he.sales", number, "逾期 第2级")
    assert escalated and "郑业务" in escalated[0]["body"] and "2027-03-09 18:00" in escalated[0]["body"]

    late = kefu.json("visits", "report", f"{number}-01", "--note", "客户下季度有采购计划",
                     now=at("2027-03-11T09:00"))
    assert late["late"] is True
    kefu.run("escalations", "run", now=at("2027-03-11T08:00"))
    on_time = kefu.json("visits", "report", f"{number}-02", "--note", "回访满意",
                        now=at("2027-03-11T17:00"))
    assert on_time["late"] is False

    wait_for(lambda: kefu._peek("SELECT count(*) FROM visit_plans WHERE number = :n AND status = "
                                "'plan_closed'", n=number), timeout=90, what="the plan to close")
    view = kefu.json("visits", "show", number)
    assert [v["report"] for v in view["visits"]] == ["客户下季度有采购计划", "回访满意"]
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json())
                   ["state_type"] == "COMPLETED" and r, what="the plan's run to complete")
    assert run["name"] == f"visit plan {number}" and "process:visit" in run["tags"]
    card = kefu.run("visits", "show", number).stdout
    assert "状态：已完成" in card and "2027-03-05 华东铸造厂 了解需求 已报告 2027-03-11 09:00" in card
    artifacts = httpx.post(f"{api}/artifacts/latest/filter", json={
        "artifacts": {"key": {"any_": [f"visit-{number.lower()}"]}}, "limit": 1}).json()
    dashboard = artifacts[0]["data"].replace("\\", "")   # the card escapes Markdown
    assert "已完成" in dashboard and "华南设备厂" in dashboard


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_key_customers_site_visit_not_confirmed_in_time_escalates(kefu, mailbox):
    # 002 第二条: 重点客户参观 由客户服务部经理批准，参观前三天 — Monday 10:00 → Friday 10:00.
    filed = kefu.json("visits", "request", "--customer", "华东铸造厂", "--kind", "key", "--at",
                      "2027-03-22 10:00", "--by", "zheng.sales", "--visitors", "4",
                      now=at("2027-03-17T09:00"))
    number = filed["number"]
    assert filed["confirm_by"].startswith("2027-03-19 02:00")
    approval = task(kefu, number, "site_visit_approval")
    assert approval["assignee"] == "zhou.ops"
    assert wait_for(lambda: mail(mailbox, "zhou.ops", number, "核准重点客户参观"),
                    what="the approver asked")
    kefu.run("escalations", "run", now=at("2027-03-19T10:30"))
    for who in ("zhou.ops", "zhao.director"):
        mailed(mailbox, who, number, "逾期 第1级")
    kefu.run("approvals", "decide", str(approval["id"]), "--as", "zhou.ops", "--decision",
             "approve", now=at("2027-03-19T11:00"))
    wait_for(lambda: kefu._peek("SELECT count(*) FROM site_visit_requests WHERE number = :n AND "
                                "status = 'approved'", n=number), timeout=90, what="approved")
    assert wait_for(lambda: mail(mailbox, "zheng.sales", number, "同意"), what="the requester told")
    view = kefu.json("visits", "show", number)
    assert view["status"] == "approved" and view["visitors"] == 4


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_monthly_schedule_asks_every_salesperson_for_next_months_plan(kefu, mailbox):
    """The visit-plans deployment the worker serves with its cron (prefect.yaml) opens the
    month's plans and starts a run for each, which asks the salesperson."""
    api = kefu.env["KEFU_PREFECT_API_URL"]
    deployment = wait_for(lambda: (r := httpx.get(f"{api}/deployments/name/visit-plans/visit-plans"))
                          .status_code == 200 and r.json(), what="the visit-plans deployment")
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 9 20 * *"]
    run = httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run",
                     json={"parameters": {"month": "2027-05"}}).json()
    wait_for(lambda: httpx.get(f"{api}/flow_runs/{run['id']}").json()["state_type"] == "COMPLETED",
             timeout=90, what="the monthly run to complete")
    number = next(row["number"] for row in kefu.json("visits", "list", "--month", "2027-05")
                  if row["who"] == "zheng.sales")
    submit = task(kefu, number, "plan_submit")
    assert submit["due_at"].startswith("2027-04-30 10:00")     # month end, 18:00 in Shanghai
    mailed(mailbox, "zheng.sales", number, "提交2027-05客户拜访计划书")
