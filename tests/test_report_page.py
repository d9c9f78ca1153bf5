"""The complaint statistics people look at (issue 17 §4; 000 D2 §5), against the real
``kefu inbox``: the rates the documents name, charts of the period as SVG whose labels are the
policy's words, the same figures as an Excel workbook with native charts, only for the
policy's case viewers; and the page in a real browser with every chart drawn."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from test_owner_view import owners  # noqa: F401 (fixture: three complaints, an inbox)

from models import ApprovalTask
from models.db import session_scope

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "test-output"


@pytest.fixture(scope="module")
def reported(owners, policy):  # noqa: F811 (the imported fixture)
    """The first complaint handled at once (on time); the others still open."""
    from tasks.approvals import decide
    from tasks.complaint import case

    number = owners.numbers[0]
    with session_scope() as session:
        task = session.scalar(select(ApprovalTask).where(ApprovalTask.case_number == number))
        decide(session, policy, task.id, actor=task.assignee_key, decision="approve",
               comment="更换批次")
    assert case.apply_handling_decision(policy, number, task.id, last_step=True) == "handled"
    return owners


def test_the_report_page_shows_the_rates_the_documents_name(reported):
    page = reported.login("sun.admin").get("/reports/complaints", params={"period": "weekly"})
    assert page.status_code == 200, page.text
    kpis = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]+)</td></tr>", page.text))
    assert kpis["受理投诉"] == "3"
    assert kpis["处理率（目标 100%）"] == "33.3%"
    assert kpis["按时处理率"] == "100.0%"
    assert kpis["客户满意率"] == "—"               # nobody asked yet: no made-up rate
    assert reported.audit(action="view_report")[-1].actor == "sun.admin"


def test_each_chart_is_an_svg_in_the_policy_s_words(reported):
    client = reported.login("sun.admin")
    words = {"by_category": ["产品质量", "服务"], "by_department": ["质量部", "营管办"],
             "trend": ["投诉趋势"], "handling": ["按时处理", "未处理完"], "points": ["各部门扣分"]}
    for name, expected in words.items():
        answer = client.get(f"/reports/complaints/weekly/{name}.svg")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
        assert answer.text.lstrip().startswith("<?xml") and "<script" not in answer.text
        for word in expected:
            assert word in answer.text, (name, word)
        assert "quality" not in re.sub(r"<[^>]+>", " ", answer.text).split()
    assert client.get("/reports/complaints/weekly/secrets.svg").status_code == 404


def test_the_workbook_has_the_figures_and_a_chart_per_breakdown(reported):
    from openpyxl import load_workbook

    answer = reported.login("sun.admin").get("/reports/complaints/monthly.xlsx")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[0] == "汇总"
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["受理投诉"] == "3" and summary["处理率（目标 100%）"] == "33.3%"
    categories = book["投诉类别"]
    assert {r[0] for r in categories.iter_rows(min_row=2, values_only=True)} >= {"产品质量"}
    assert len(categories._charts) == 1 and len(book["责任部门"]._charts) == 1


def test_a_department_head_gets_no_report(reported):
    head = reported.login("liu.quality")
    assert head.get("/reports/complaints").status_code == 403
    assert head.get("/reports/complaints/weekly/by_category.svg").status_code == 403
    assert head.get("/reports/complaints/weekly.xlsx").status_code == 403
    assert reported.client().get("/reports/complaints").status_code == 303   # to the login


def test_the_report_page_in_a_browser_draws_every_chart(reported):
    from playwright.sync_api import sync_playwright
    from test_inbox import log_in_browser

    assert CHROMIUM.exists(), "scripts/setup installs Debian chromium"
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900}, locale="zh-CN")
        log_in_browser(page, f"{reported.base}/reports/complaints", "sun.admin",
                       r"/reports/complaints$")
        page.wait_for_load_state("networkidle")
        drawn = page.eval_on_selector_all("figure.chart img",
                                          "imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert len(drawn) == 5 and all(width and width > 100 for width in drawn), drawn
        page.screenshot(path=str(SHOTS / "complaint-report.png"), full_page=True)
        browser.close()
