"""The calendar's missing years where admins and approvers look (issue 21 §5): the inbox
header of an admin (role ``admin`` in the policy) names each year from now to a year after the
furthest open deadline whose holidays are only estimated; an approver who is not an admin does
not get it; the case card of a case with an open deadline in such a year says so — in
``kefu complaint show``, on the dashboard's card and on the inbox's task page — and the card of
a case whose deadlines are all in known years says nothing."""

from __future__ import annotations

import re
import subprocess

import httpx
from conftest import KEFU, ROOT
from test_inbox import serve_inbox

from runtime.ports import free_port

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FILING = ("complaint", "file", "--channel", "phone", "--customer", "张三", "--phone",
          "13800000000", "--content", "酒的口感不对，要求说明")  # no category keyword: triage
NOTICE = "2027 年的节假日为估算"


def _file(kefu, now: str) -> str:
    return kefu.run(*FILING, now=now).stdout.strip()


def _triage_task(monkeypatch, env: dict, number: str, now: str) -> int:
    """The flow's first question (营销办管理部 classifies by hand), asked by the complaint's
    own step in this process: the inbox then has a task and a case card to show."""
    from policy.load import load_policy
    from tasks.complaint.case import request_triage

    monkeypatch.setenv("KEFU_DATABASE_URL", env["KEFU_DATABASE_URL"])
    monkeypatch.setenv("KEFU_NOW", now)
    return request_triage(load_policy(), number, None)


def _login(base: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = CSRF.search(client.get("/login").text).group(1)
    answer = client.post("/login", data={"username": user, "password": PASSWORD,
                                         "csrf_token": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def test_a_case_card_names_a_year_of_estimated_holidays_only_when_its_deadlines_fall_there(
        offline_kefu):
    known = _file(offline_kefu, "2026-12-02T10:00")      # every clock due in December 2026
    affected = _file(offline_kefu, "2026-12-31T10:00")   # reply and handling due in 2027
    card = offline_kefu.run("complaint", "show", affected).stdout
    assert f"**日历提示** {NOTICE}" in card
    assert "calendar.years.2027" in card
    assert "日历提示" not in offline_kefu.run("complaint", "show", known).stdout
    assert offline_kefu.show(affected)["calendar"] == [
        {"year": 2027, "source": "estimate (python-holidays)"}]
    assert offline_kefu.show(known)["calendar"] == []


def test_the_inbox_shows_the_missing_year_to_admins_and_on_an_affected_cases_card(
        offline_kefu, tmp_path, monkeypatch):
    for person in ("sun.admin", "chen.qe"):
        subprocess.run([*KEFU, "users", "set-password", person, "--password-stdin"],
                       env=offline_kefu.env, cwd=ROOT, input=PASSWORD + "\n", text=True,
                       check=True, capture_output=True, timeout=120)
    known = _file(offline_kefu, "2026-12-02T10:00")
    affected = _file(offline_kefu, "2026-12-31T10:00")
    known_task = _triage_task(monkeypatch, offline_kefu.env, known, "2026-12-02T10:05")
    affected_task = _triage_task(monkeypatch, offline_kefu.env, affected, "2026-12-31T10:05")
    env = {**offline_kefu.env, "KEFU_NOW": "2026-12-02T11:00"}
    with serve_inbox(env, free_port(), tmp_path / "inbox.log") as base:
        admin = _login(base, "sun.admin")
        page = admin.get("/").text
        assert 'id="calendar-warning"' in page and NOTICE in page
        assert "calendar.years.2027" in page
        approver = _login(base, "chen.qe").get("/").text
        assert "我的待办审批" in approver and "calendar-warning" not in approver
        assert NOTICE not in approver
        affected_page = admin.get(f"/tasks/{affected_task}").text
        assert 'id="case-calendar-warning"' in affected_page
        known_page = admin.get(f"/tasks/{known_task}").text
        assert affected in affected_page and known in known_page
        assert "case-calendar-warning" not in known_page


def _apply(kefu, monkeypatch, name: str, now: str) -> str:
    """A development project whose first review step (立项可行性评审, 3 working days) is
    asked, by the project's own step in this process."""
    from policy.load import load_policy
    from tasks.new_customer.case import request_chain_step

    number = kefu.run("new-customer", "apply", "--name", name, "--product-line", "cast_balls",
                      "--expected-annual-revenue", "3500000", "--owner", "zheng.sales",
                      now=now).stdout.splitlines()[0].strip()
    monkeypatch.setenv("KEFU_DATABASE_URL", kefu.env["KEFU_DATABASE_URL"])
    monkeypatch.setenv("KEFU_NOW", now)
    request_chain_step(load_policy(), number, "application", 0, 1, None)
    return number


def test_a_project_card_names_a_year_of_estimated_holidays_only_when_its_deadlines_fall_there(
        offline_kefu, monkeypatch):
    known = _apply(offline_kefu, monkeypatch, "华东铸造厂", "2026-12-02T10:00")
    affected = _apply(offline_kefu, monkeypatch, "华南铸造厂", "2026-12-31T10:00")
    card = offline_kefu.run("new-customer", "show", affected).stdout
    assert f"**日历提示** {NOTICE}" in card
    assert "日历提示" not in offline_kefu.run("new-customer", "show", known).stdout


def _assessment(kefu, monkeypatch, tmp_path, year: int, now: str) -> str:
    """The year's tier assessment, opened and its pre-grades asked (3 working days) by its
    own steps in this process, on figures imported through `kefu customers import`."""
    from policy.load import load_policy
    from tasks.tier.case import open_assessment, request_pregrades

    figures = tmp_path / f"figures-{year}.csv"
    figures.write_text("name,phone,territory,year,sales,growth,overdue_payments,cooperation\n"
                       f"某酒行,021-55550000,east,{year - 1},800,12,0,90\n", encoding="utf-8")
    kefu.run("customers", "import", str(figures), now=now)
    monkeypatch.setenv("KEFU_DATABASE_URL", kefu.env["KEFU_DATABASE_URL"])
    monkeypatch.setenv("KEFU_NOW", now)
    number = open_assessment(load_policy(), year)
    request_pregrades(load_policy(), number, None)
    return number


def test_a_tier_assessment_card_names_a_year_of_estimated_holidays_only_when_its_deadlines_fall_there(
        offline_kefu, monkeypatch, tmp_path):
    _assessment(offline_kefu, monkeypatch, tmp_path, 2026, "2026-03-25T09:00")
    _assessment(offline_kefu, monkeypatch, tmp_path, 2027, "2027-03-25T09:00")
    assert "日历提示" not in offline_kefu.run("tiers", "show", "2026", now="2026-03-25T10:00").stdout
    card = offline_kefu.run("tiers", "show", "2027", now="2027-03-25T10:00").stdout
    assert f"**日历提示** {NOTICE}" in card
