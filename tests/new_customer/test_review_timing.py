"""The reviews of a development project (000 D8 §4) as people see them over its months: the
90-day attention check ends with progress, an outcome that ends development stops the
tracking records, the over-budget question is one question, the reminder names its own
time, and the pending list says what a decision must carry. Steps as plain functions on a
real (SQLite) database; time moves with KEFU_NOW; escalations come from the shared sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_new_customer_steps import (  # noqa: F401  (db: the steps tests' fixture)
    MONDAY,
    apply,
    at,
    db,
    decide_as_assignee,
    on_day,
    sent_to,
    to_development,
)
from typer.testing import CliRunner

from models import ApprovalTask, Clock, Notification
from models.db import session_scope
from policy.load import load_policy
from tasks.approvals import ApprovalError
from tasks.escalation import sweep
from tasks.new_customer import case
from tasks.new_customer.card import prospect_view
from tasks.new_customer.rules import ProspectError


def mails(number: str, template: str) -> list[Notification]:
    with session_scope() as session:
        rows = list(session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.template == template)
            .order_by(Notification.id)))
        session.expunge_all()
        return rows


def test_a_progress_record_after_the_90_day_alert_ends_the_special_attention(db):
    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=91))
    sweep(policy)
    assert sent_to(number, "prospect_attention") == ["xu.deputy", "wang.gm"]
    assert {r["review"]: r["status"] for r in prospect_view(number)["reviews"]}[
        "attention_90"] == "overdue"

    at(db, MONDAY + timedelta(days=95))
    case.track(policy, number, "样品试用成功，准备小批量供货", progress=True)
    view = prospect_view(number)
    assert {r["review"]: r["status"] for r in view["reviews"]}["attention_90"] == "met"
    assert view["next_review"]["review"] != "attention_90"


def test_a_record_without_progress_keeps_the_special_attention(db):
    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=91))
    sweep(policy)
    case.track(policy, number, "电话联系，对方未表态", progress=False)
    assert {r["review"]: r["status"] for r in prospect_view(number)["reviews"]}[
        "attention_90"] == "overdue"


def test_handing_over_stops_the_tracking_records_before_registration(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="hand_over")
    assert case.apply_outcome(policy, number, special_study) == "hand_over"
    with session_scope() as session:
        open_reviews = session.scalars(select(Clock.name).where(
            Clock.case_number == number, Clock.name.like("review:%"),
            Clock.met_at.is_(None))).all()
    assert open_reviews == []
    assert all(r["status"] != "pending" for r in prospect_view(number)["reviews"]
               if r["review"].startswith("tracking"))
    at(db, MONDAY + timedelta(days=215))                # the 30 days would have run out
    assert [e for e in sweep(policy) if e["case"] == number
            and e["clock"].startswith("review:")] == []


def test_continuing_keeps_the_tracking_records_going(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="continue")
    case.apply_outcome(policy, number, special_study)
    with session_scope() as session:
        assert session.scalar(select(Clock.id).where(
            Clock.case_number == number, Clock.name == case.TRACKING, Clock.met_at.is_(None)))


def test_the_first_over_budget_spend_is_asked_once_not_as_a_second_round(db):
    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    case.record_spend(policy, number, "5000")           # spends before it count as ids too
    first = case.record_spend(policy, number, "18000")
    second = case.record_spend(policy, number, "17000")
    assert first["status"] == second["status"] == "awaiting_approval"
    with session_scope() as session:
        rounds = [session.get(ApprovalTask, s["approval_task_id"]).round for s in (first, second)]
    assert rounds == [1, 1]
    asked = mails(number, "prospect_approval_requested")[-2:]
    assert [m.recipient for m in asked] == ["wang.gm", "wang.gm"]
    assert all("轮" not in m.title + m.body for m in asked)
    decide_as_assignee(policy, second["approval_task_id"], "reject")
    decide_as_assignee(policy, first["approval_task_id"])
    assert prospect_view(number)["budget"]["spent"] == "23000.00"


def test_the_tracking_reminder_does_not_call_its_own_time_the_due_time(db):
    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=28))
    sweep(policy)
    [reminder] = mails(number, "prospect_tracking_reminder")
    assert "到期" in reminder.title and "提醒时间" in reminder.title
    assert "后到期" not in reminder.title


def test_the_pending_list_shows_what_the_180_day_decision_must_carry(db):
    from cli.main import app

    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 180)
    listed = CliRunner().invoke(app, ["approvals", "list", "--assignee", "lin.dev"])
    assert listed.exit_code == 0, listed.output
    [line] = [row for row in listed.output.splitlines() if row.startswith(f"#{special_study} ")]
    assert "[approve --outcome continue|suspend|terminate|hand_over]" in line


def test_a_prospect_with_an_open_project_cannot_be_applied_for_twice(db):
    policy = load_policy()
    first = apply(policy)
    with pytest.raises(ProspectError, match=f"--name: 华东铸造厂 已有进行中的开发项目 {first}"):
        apply(policy)
    special_study = to_development(policy, first, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="terminate")
    case.apply_outcome(policy, first, special_study)
    case.close_project(policy, first, "terminate")
    assert apply(policy) != first                       # §4.3: 终止后重新启动需重新立项


# --- the reviews open on their day (000 D8 §4.2), not at 立项 ---------------------------

def review_asked(number: str, task_id: int, person: str) -> dict:
    """Where a person would find a review task: the pending list (``kefu approvals list``),
    their inbox, the project's approvals in ``show``, and the mails asking them."""
    from cli.main import app
    from tasks.approvals import inbox_tasks, pending_tasks

    listed = CliRunner().invoke(app, ["approvals", "list", "--assignee", person])
    assert listed.exit_code == 0, listed.output
    with session_scope() as session:
        pending = [t.id for t in pending_tasks(session, person)]
        inbox = [t.id for t in inbox_tasks(session, person)]
        asked = [n.title for n in session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.recipient == person,
            Notification.idempotency_key.like(f"%:approval:{task_id}:%")))]
    shown = [a["status"] for a in prospect_view(number)["approvals"] if a["id"] == task_id]
    return {"listed": f"#{task_id} " in listed.output, "pending": task_id in pending,
            "inbox": task_id in inbox, "shown": shown, "mails": asked}


def test_the_180_day_special_study_is_asked_and_mailed_on_its_day_not_at_approval(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    nowhere = {"listed": False, "pending": False, "inbox": False, "shown": ["scheduled"],
               "mails": []}
    for day in (0, 30, 91, 172, 173, 179.9):
        on_day(policy, db, day)
        assert review_asked(number, special_study, "lin.dev") == nowhere, day
    with pytest.raises(ApprovalError, match="opens at 2027-05-22 10:00; it cannot be decided"):
        decide_as_assignee(policy, special_study, outcome="continue")

    on_day(policy, db, 180)                             # 立项 + 180 days, to the minute
    seen = review_asked(number, special_study, "lin.dev")
    assert seen["listed"] and seen["pending"] and seen["inbox"] and seen["shown"] == ["pending"]
    [mail] = seen["mails"]
    assert "六个月专题研究" in mail and number in mail
    on_day(policy, db, 180.5)                           # the next sweeps send nothing again
    on_day(policy, db, 181)
    assert review_asked(number, special_study, "lin.dev")["mails"] == [mail]
    decide_as_assignee(policy, special_study, outcome="continue")
    assert case.apply_outcome(policy, number, special_study) == "continue"


def test_after_continue_the_year_report_opens_on_day_365_and_stays_on_the_card(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="continue")
    case.apply_outcome(policy, number, special_study)
    report = case.request_chain_step(policy, number, "report", 0, 1)   # the flow asks at once

    for day in (181, 300, 364.9):
        on_day(policy, db, day)
        assert review_asked(number, report, "lin.dev")["mails"] == []
        assert not review_asked(number, report, "lin.dev")["pending"]
        reviews = {r["review"]: r for r in prospect_view(number)["reviews"]}
        assert reviews["report_365"]["status"] == "scheduled"
        assert reviews["report_365"]["opens_at"].startswith("2027-11-23")
    on_day(policy, db, 365)
    seen = review_asked(number, report, "lin.dev")
    assert seen["pending"] and len(seen["mails"]) == 1 and "一年书面报告" in seen["mails"][0]
    assert {r["review"]: r["status"] for r in prospect_view(number)["reviews"]}[
        "report_365"] == "pending"


def test_a_project_that_ends_withdraws_its_unopened_reviews(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    case.close_project(policy, number, "terminate")
    on_day(policy, db, 181)
    assert review_asked(number, special_study, "lin.dev")["shown"] == ["cancelled"]
    assert review_asked(number, special_study, "lin.dev")["mails"] == []


def test_show_prints_the_tracking_records_and_the_history(db):
    from cli.main import app

    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=10))
    case.track(policy, number, "拜访采购部，报价中", progress=True)
    shown = CliRunner().invoke(app, ["new-customer", "show", number])
    assert shown.exit_code == 0, shown.output
    records, history = shown.output.split("## 跟踪记录")[1].split("## 经过")
    assert "2026-12-03 10:00 **有进展** 拜访采购部，报价中" in records
    events = prospect_view(number)["events"]
    lines = [line for line in history.splitlines() if line.startswith("- ")]
    assert len(lines) == len(events) > 10
    assert lines[-1].startswith("- 2026-12-03 10:00 ")
