"""A superior decides a salesperson's visit plan in the inbox with the plan beside it, and an
approver a site visit; the decision is recorded as the CLI's would be (no Prefect here: the
run would be woken by the worker's reconciler)."""

from __future__ import annotations

import subprocess

import pytest
from conftest import KEFU, ROOT

from runtime.ports import free_port
from tests.test_inbox import CSRF, PASSWORD, Site, serve_inbox

NOW = "2027-02-20T09:00:00+08:00"


@pytest.fixture()
def site(offline_kefu, tmp_path, monkeypatch):
    for person in ("li.east", "zhou.ops", "zheng.sales"):
        done = subprocess.run([*KEFU, "users", "set-password", person, "--password-stdin"],
                              env=offline_kefu.env, cwd=ROOT, input=PASSWORD + "\n", text=True,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
    for key in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    monkeypatch.setenv("KEFU_NOW", NOW)
    port = free_port()
    env = {**offline_kefu.env, "KEFU_INBOX_URL": f"http://127.0.0.1:{port}", "KEFU_NOW": NOW}
    with serve_inbox(env, port, tmp_path / "inbox.log") as base:
        yield Site(env, base, None)


def _decide(client, task_id: int, **form):
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200, page.text
    return client.post(f"/tasks/{task_id}/decide",
                       data={"csrf_token": CSRF.search(page.text).group(1), **form})


def test_a_plan_is_sent_back_and_approved_a_report_filed_and_a_visit_confirmed_in_the_inbox(site):
    from policy.load import load_policy
    from tasks.visit import case
    from tasks.visit.card import plan_view, request_view

    policy = load_policy()
    [number] = case.open_plans(policy, "2027-02")   # late: its month has begun
    case.submit_plan(policy, person="zheng.sales", month="2027-02",
                     visit_lines=["2027-02-19,华东铸造厂,了解需求"])
    review = case.request_review(policy, number, 1, None)

    chief = site.login("li.east")
    page = chief.get(f"/tasks/{review}").text
    assert 'id="case-text"' in page and "华东铸造厂" in page and "客户拜访计划书" in page
    assert _decide(chief, review, decision="send_back", comment="请补充拜访目的").status_code == 303
    assert case.apply_review(policy, number, review) == "send_back"
    view = plan_view(number)
    assert view["status"] == "plan_due" and view["round"] == 2
    assert [t["decision"] for t in view["approvals"] if t["step"] == "plan_review"] == ["send_back"]

    case.request_plan(policy, number, 2, None)
    case.submit_plan(policy, person="zheng.sales", month="2027-02",
                     visit_lines=["2027-02-19,华东铸造厂,了解需求，带样品"])
    review = case.request_review(policy, number, 2, None)
    assert _decide(chief, review, decision="approve").status_code == 303
    assert case.apply_review(policy, number, review) == "approved"
    # The visit's day has come: its report is open at once, and confirmed in the inbox.
    [report] = case.request_reports(policy, number, None)
    salesperson = site.login("zheng.sales")
    assert "提交客户拜访报告：2027-02-19 华东铸造厂" in salesperson.get(f"/tasks/{report}").text
    assert _decide(salesperson, report, decision="approve",
                   comment="客户有扩产计划").status_code == 303
    case.apply_report(number, report)
    [visit] = plan_view(number)["visits"]
    assert visit["report"] == "客户有扩产计划" and visit["reported_at"]

    request = case.request_site_visit(policy, customer="华南设备厂", kind="key",
                                      at="2027-03-01 10:00", by="zheng.sales", visitors=2)
    task_id = case.ask_site_approval(policy, request.number, None)
    manager = site.login("zhou.ops")
    assert "核准重点客户参观" in manager.get(f"/tasks/{task_id}").text
    assert _decide(manager, task_id, decision="approve").status_code == 303
    assert case.apply_site_decision(policy, request.number, task_id) == "approved"
    assert request_view(request.number)["status"] == "approved"
