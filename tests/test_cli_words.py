"""Issue 21 §10: the CLI's tables name people, statuses, categories and departments in words.
The flags keep the codes (``--decision approve``, ``--as chen.qe``): only what is read changes."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from policy.load import load_policy
from tasks.complaint import case as complaint_case
from tasks.new_customer import case as prospect_case
from tests.complaint.test_complaint_steps import db, file  # noqa: F401
from tests.test_words_not_codes import codes_in

CODES = ("chen.qe", "zheng.sales", "quality", "handling", "on_time", "overdue", "applied",
         "received", "attention_90", "tracking")


def shown(*args: str) -> str:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def test_pending_approvals_and_complaints_are_listed_in_words(db):  # noqa: F811
    policy = load_policy()
    number = file(policy, "酒的口感不对，有异味")
    complaint_case.classify_complaint(policy, number)
    complaint_case.route_complaint(policy, number)
    task_id = complaint_case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)

    [line] = [row for row in shown("approvals", "list").splitlines() if row.startswith(f"#{task_id} ")]
    assert "→ 陈工（质量工程师）" in line
    assert "[approve/reject/send_back]" in line or "[approve" in line   # what --decision takes
    listed = shown("complaint", "list")
    assert "处理中" in listed and "产品质量" in listed and "质量部" in listed and "正常" in listed
    assert "陈工（质量工程师）" in listed
    for text in (line, listed):
        assert [c for c in CODES if c in text] == [] and codes_in(text) in ([], ["approve", "reject", "send_back"])


def test_development_projects_are_listed_in_words(db):  # noqa: F811
    policy = load_policy()
    prospect_case.apply_prospect(policy, name="华东铸造厂", product_line="cast_balls",
                                 expected_annual_revenue="3500000", owner="zheng.sales")
    listed = shown("new-customer", "list")
    assert "立项审批中" in listed and "郑业务（业务员）" in listed
    assert [c for c in CODES if c in listed] == [] and codes_in(listed) == []


def test_the_project_card_shows_words_where_it_stored_codes(db):  # noqa: F811
    policy = load_policy()
    number = prospect_case.apply_prospect(policy, name="华东铸造厂", product_line="cast_balls",
                                          expected_annual_revenue="3500000", owner="zheng.sales").number
    card = shown("new-customer", "show", number)
    assert "立项审批中" in card and "郑业务（业务员）" in card and "铸球" in card
    assert "## 评审" in card and "## 审批" in card and "提交立项申请" in card
    assert [c for c in CODES + ("cast_balls", "lin.dev", "pending") if c in card] == []
    assert codes_in(card) == []
