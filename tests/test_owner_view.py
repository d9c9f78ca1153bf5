"""The process owner's cases page in the inbox (issue 17 §3), against the real ``kefu inbox``
on a real SQLite database: 营销办管理部 sees every complaint, a department head only their
department's (a case of another department answers as one that does not exist), anybody else
is refused; filters by status, department, category, timing and date; a case page with its
whole story and a link to its Prefect run; and the page in a real browser (chromium)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from sqlalchemy import update
from test_inbox import PASSWORD, Site, inbox_env, log_in_browser, serving

from models import Clock
from models.db import session_scope
from runtime.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output"
ROW = re.compile(r'data-case="(TS-[0-9-]+)"')


@pytest.fixture(scope="module")
def owners(tmp_path_factory, policy):
    """Three complaints: quality (on time), quality (overdue), service (ops office, waiting)."""
    data = tmp_path_factory.mktemp("owners")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = inbox_env(data, base, free_port())     # nobody listens there: no mail is read here
    s = Site(env, base, None)
    assert s.kefu("init").returncode == 0
    for person in ("sun.admin", "liu.quality", "zhou.ops", "chen.qe"):
        done = s.kefu("users", "set-password", person, "--password-stdin", stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    with serving(env, port, data / "inbox.log"):
        from tasks.complaint import case
        from tasks.complaint.intake import file_complaint, parse_complaint

        for content in ("新买的酒口感发苦，风味不对", "酒有异味，包装也破了", "售后人员态度很差，电话不理"):
            number = file_complaint(policy, parse_complaint(
                policy, channel="phone", customer="负责人视图", phone="13800000000",
                content=content)).number
            case.classify_complaint(policy, number)
            case.route_complaint(policy, number)
            case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
            s.numbers.append(number)
        with session_scope() as session:    # the second one ran out of time an hour ago
            session.execute(update(Clock).where(Clock.case_number == s.numbers[1],
                                                Clock.met_at.is_(None))
                            .values(due_at=datetime.now(UTC) - timedelta(hours=1)))
        yield s


def _listed(client, **query) -> list[str]:
    answer = client.get("/cases", params=query)
    assert answer.status_code == 200, answer.text
    return ROW.findall(answer.text)


def test_the_marketing_administration_sees_every_complaint_and_a_head_only_their_own(owners):
    quality_1, quality_2, service = owners.numbers
    admin = owners.login("sun.admin")
    assert _listed(admin) == [service, quality_2, quality_1]          # newest first
    head = owners.login("liu.quality")                                # 质量部部长
    assert _listed(head) == [quality_2, quality_1]
    assert _listed(head, department="ops_office") == []              # not widened by a filter
    assert _listed(owners.login("zhou.ops")) == [service]             # 营管办负责人
    # Another department's case answers as a case that does not exist.
    other, missing = head.get(f"/cases/{service}"), head.get("/cases/TS-1999-000001")
    assert other.status_code == missing.status_code == 404
    assert other.text.replace(service, "") == missing.text.replace("TS-1999-000001", "")
    engineer = owners.login("chen.qe")                                # no owner role
    refused = engineer.get("/cases")
    assert refused.status_code == 403 and "流程负责人" in refused.text
    assert engineer.get(f"/cases/{quality_1}").status_code == 404
    assert [e.outcome for e in owners.audit(action="view_case", actor="liu.quality")] == [
        "refused", "refused"]
    assert owners.audit(action="list_cases", actor="chen.qe")[-1].outcome == "refused"


def test_the_filters_narrow_the_cases_and_say_which_one_is_wrong(owners):
    quality_1, quality_2, service = owners.numbers
    admin = owners.login("sun.admin")
    assert _listed(admin, timing="overdue") == [quality_2]
    assert set(_listed(admin, timing="on_time")) == {quality_1, service}
    assert _listed(admin, department="quality", category="quality") == [quality_2, quality_1]
    assert _listed(admin, category="service") == [service]
    assert _listed(admin, status="archived") == []
    today = datetime.now(UTC).astimezone().date()
    assert len(_listed(admin, received_from=str(today - timedelta(days=1)),
                       received_to=str(today + timedelta(days=1)))) == 3
    assert _listed(admin, received_to=str(today - timedelta(days=7))) == []
    bad = admin.get("/cases", params={"timing": "late", "received_from": "yesterday"})
    assert bad.status_code == 400 and 'id="filter-problem"' in bad.text and "timing" in bad.text
    page = admin.get("/cases", params={"department": "quality"}).text
    assert "质量部" in page and "已逾期" in page and "陈工（质量工程师）" in page


def test_a_case_page_tells_its_whole_story_in_words(owners):
    quality_1 = owners.numbers[0]
    page = owners.login("liu.quality").get(f"/cases/{quality_1}")
    assert page.status_code == 200
    text = page.text
    assert "新买的酒口感发苦" in text and "质量部" in text and "陈工（质量工程师）" in text
    assert 'id="case-history"' in text and 'id="case-clocks"' in text
    shown = re.sub(r"<[^>]+>", " ", text.split('id="case-card"')[1])   # what a person reads
    assert not {"approve", "handling", "pending", "received", "reply"} & set(shown.split())
    assert 'id="prefect-run"' not in text          # no run yet (the worker starts it)
    assert owners.audit(action="view_case", case_number=quality_1)[-1].actor == "liu.quality"


def test_the_cases_page_in_a_browser_filters_and_opens_a_case(owners):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "scripts/setup installs Debian chromium"
    quality_2 = owners.numbers[1]
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="zh-CN")
        log_in_browser(page, f"{owners.base}/cases", "sun.admin", r"/cases$")
        assert page.locator("tr.case").count() == 3
        page.select_option("#f-timing", "overdue")
        page.click("#f-apply")
        page.wait_for_url(re.compile(r"timing=overdue"))
        assert page.locator("tr.case").count() == 1
        page.screenshot(path=str(SHOTS / "owner-cases-overdue.png"), full_page=True)
        page.click(f"a[href='/cases/{quality_2}']")
        page.wait_for_url(re.compile(rf"/cases/{quality_2}$"))
        assert "案件 " + quality_2 in page.inner_text("h1")
        assert page.locator("#case-history li").count() >= 3
        page.screenshot(path=str(SHOTS / "owner-case.png"), full_page=True)
        browser.close()


def test_the_header_links_each_owner_to_what_they_may_see(owners):
    admin = owners.login("sun.admin").get("/").text
    head = owners.login("liu.quality").get("/").text
    engineer = owners.login("chen.qe").get("/").text
    assert 'id="nav-cases"' in admin and 'id="nav-report"' in admin
    assert 'id="nav-cases"' in head and 'id="nav-report"' not in head
    assert 'id="nav-cases"' not in engineer and 'id="nav-report"' not in engineer
