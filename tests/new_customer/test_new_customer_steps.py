"""New-customer development's steps as plain functions on a real (SQLite) database, in the
order the flow takes them, without Prefect: every 180-day outcome, missed tracking records,
the 90-day attention check, spends, registration, moving the reviews. Time moves with
KEFU_NOW; escalations come from the shared sweep."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from models import ApprovalTask, Clock, Customer, Notification, Prospect
from models.db import session_scope
from models.migrate import upgrade
from policy.load import DEFAULT_POLICY, load_policy
from tasks.approvals import ApprovalError, decide
from tasks.escalation import sweep
from tasks.new_customer import case
from tasks.new_customer.card import prospect_view
from tasks.new_customer.rules import ProspectError
from tasks.organisation import sync_organisation

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_MAIL_URL", "mailto://127.0.0.1:9?from=k@test.example&mode=insecure")
    monkeypatch.delenv("KEFU_POLICY", raising=False)
    at(monkeypatch, MONDAY)
    upgrade(url)
    with session_scope() as session:
        sync_organisation(session, load_policy())
    return monkeypatch


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setenv("KEFU_NOW", moment.isoformat())


def decide_as_assignee(policy, task_id: int, decision: str = "approve", **data) -> None:
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        decide(session, policy, task_id, actor=task.assignee_key, decision=decision,
               comment=f"{decision} {data}", data=data)


def apply(policy, revenue: str = "3500000", name: str = "华东铸造厂") -> str:
    return case.apply_prospect(policy, name=name, product_line="cast_balls",
                               expected_annual_revenue=revenue, owner="zheng.sales").number


def pass_chain(policy, number: str, chain: str, round: int = 1, **last_data) -> str:
    steps = case.chain(policy.new_customer, chain)
    for index in range(len(steps)):
        task_id = case.request_chain_step(policy, number, chain, index, round)
        decide_as_assignee(policy, task_id, **(last_data if index == len(steps) - 1 else {}))
        result = case.apply_chain_step(policy, number, chain, index, task_id)
    return result


def to_development(policy, number: str, monkeypatch) -> int:
    """立项 (group → deputy → leader), reviews started, budget 20,000 approved; returns the
    180-day special study task."""
    assert pass_chain(policy, number, "application") == "approved"
    special_study = case.start_reviews(policy, number)
    budget_task = case.request_budget(policy, number, 1)
    case.submit_budget(policy, number, "20000")
    with session_scope() as session:
        assert session.get(ApprovalTask, budget_task).decision == "approve"
    assert pass_chain(policy, number, "budget") == "approved"
    return special_study


def on_day(policy, monkeypatch, days: float) -> None:
    """Day ``days`` after 立项, and the shared sweep runs: a review due by then is open."""
    at(monkeypatch, MONDAY + timedelta(days=days))
    sweep(policy)


def sent_to(number: str, template: str) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Notification.recipient).where(
            Notification.case_number == number, Notification.template == template)
            .order_by(Notification.id)))


def counts() -> dict[str, int]:
    with session_scope() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Prospect, ApprovalTask, Clock, Notification, Customer)}


def test_the_application_goes_group_then_deputy_then_leader(db):
    policy = load_policy()
    number = apply(policy)
    assignees = []
    for index in range(3):
        task_id = case.request_chain_step(policy, number, "application", index, 1)
        with session_scope() as session:
            assignees.append(session.get(ApprovalTask, task_id).assignee_key)
        decide_as_assignee(policy, task_id)
        case.apply_chain_step(policy, number, "application", index, task_id)
    assert assignees == ["lin.dev", "xu.deputy", "wang.gm"]
    view = prospect_view(number)
    assert view["status"] == "budget_due" and view["approved_at"]
    assert sent_to(number, "prospect_approval_requested") == assignees
    assert sent_to(number, "prospect_decided") == ["zheng.sales"]


def test_a_send_back_restarts_the_chain_and_a_rejection_ends_it_telling_the_applicant(db):
    policy = load_policy()
    number = apply(policy)
    first = case.request_chain_step(policy, number, "application", 0, 1)
    decide_as_assignee(policy, first)
    audit = case.request_chain_step(policy, number, "application", 1, 1)
    decide_as_assignee(policy, audit, "send_back")
    assert case.apply_chain_step(policy, number, "application", 1, audit) == "send_back"
    again = case.request_chain_step(policy, number, "application", 0, 2)
    assert again != first
    decide_as_assignee(policy, again, "reject")
    assert case.apply_chain_step(policy, number, "application", 0, again) == "rejected"
    assert prospect_view(number)["status"] == "rejected"
    assert sent_to(number, "prospect_decided") == ["zheng.sales", "zheng.sales"]


def test_a_prospect_below_the_threshold_needs_the_leaders_override(db):
    policy = load_policy()
    number = apply(policy, revenue="2999999")
    assert not case.is_qualified(number)
    task_id = case.request_override(policy, number)
    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).assignee_key == "wang.gm"
    decide_as_assignee(policy, task_id, "reject")
    assert case.apply_override(policy, number, task_id) is False
    assert prospect_view(number)["status"] == "rejected"


@pytest.mark.parametrize(("outcome", "status"), [
    ("continue", "developing"), ("suspend", "suspended"), ("terminate", "terminated"),
    ("hand_over", "registering"),
])
def test_each_180_day_outcome(db, outcome, status):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    with session_scope() as session:
        task = session.get(ApprovalTask, special_study)
        assert task.assignee_key == "lin.dev"
        assert task.due_at.date() >= (MONDAY + timedelta(days=180)).date()
    on_day(policy, db, 181)
    with pytest.raises(ApprovalError, match="--outcome: required"):
        decide_as_assignee(policy, special_study)
    decide_as_assignee(policy, special_study, outcome=outcome)
    assert case.apply_outcome(policy, number, special_study) == outcome
    view = prospect_view(number)
    assert view["status"] == status
    if outcome in ("suspend", "terminate"):
        case.close_project(policy, number, outcome)
        view = prospect_view(number)
        assert all(r["status"] in ("met", "cancelled") for r in view["reviews"])
        assert view["next_review"] is None
        at(db, MONDAY + timedelta(days=400))
        assert [e for e in sweep(policy) if e["case"] == number] == []  # the reviews ended


def test_the_year_report_goes_group_deputy_leader_who_decides(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="continue")
    case.apply_outcome(policy, number, special_study)
    at(db, MONDAY + timedelta(days=366))
    first = case.request_chain_step(policy, number, "report", 0, 1)
    with session_scope() as session:
        assert session.get(ApprovalTask, first).due_at > MONDAY + timedelta(days=365)
    assert pass_chain(policy, number, "report", outcome="terminate") == "approved"
    assert case.report_outcome(number) == "terminate"
    assert case.close_project(policy, number, "terminate") == "terminated"
    steps = [a["assignee"] for a in prospect_view(number)["approvals"]
             if a["step"].startswith("report")]
    assert steps == ["lin.dev", "xu.deputy", "wang.gm"]


def test_a_missed_tracking_record_escalates_and_a_record_starts_the_next_30_days(db):
    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=28))
    sweep(policy)
    assert sent_to(number, "prospect_tracking_reminder") == ["zheng.sales"]
    at(db, MONDAY + timedelta(days=31))
    sweep(policy)
    assert sent_to(number, "prospect_overdue") == ["zheng.sales", "li.east"]
    at(db, MONDAY + timedelta(days=35))
    sweep(policy)
    assert "xu.deputy" in sent_to(number, "prospect_overdue")
    done = case.track(policy, number, "拜访采购部", progress=False)
    assert datetime.fromisoformat(done["next_tracking_due_at"]) == MONDAY + timedelta(days=65)
    at(db, MONDAY + timedelta(days=40))
    before = len(sent_to(number, "prospect_overdue"))
    sweep(policy)
    assert len(sent_to(number, "prospect_overdue")) == before  # the record met the clock


def test_90_days_without_progress_tells_the_deputy_and_the_leader(db):
    policy = load_policy()
    quiet, busy = apply(policy, name="甲厂"), apply(policy, name="乙厂")
    for number in (quiet, busy):
        to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=45))
    case.track(policy, quiet, "电话联系", progress=False)
    case.track(policy, busy, "样品试用成功", progress=True)
    at(db, MONDAY + timedelta(days=91))
    sweep(policy)
    assert sent_to(quiet, "prospect_attention") == ["xu.deputy", "wang.gm"]
    assert sent_to(busy, "prospect_attention") == []


def test_winning_registers_the_customer_with_a_temporary_tier_within_5_working_days(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="hand_over")
    case.apply_outcome(policy, number, special_study)
    task_id = case.request_registration(policy, number)
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        assert task.assignee_key == "zheng.sales"
        # 2027-05-23 (Sunday) + 5 working days → 2027-05-28 (Friday) 18:00 Shanghai
        assert task.due_at.isoformat() == "2027-05-28T10:00:00+00:00"
    at(db, datetime.fromisoformat("2027-05-31T09:00:00+08:00"))
    sweep(policy)
    # Level 1 of the registration clock; clocks overdue for months send only their top rung.
    assert {"zheng.sales", "li.east"} <= set(sent_to(number, "prospect_overdue"))
    with pytest.raises(ProspectError, match="--phone"):
        case.register_customer(policy, number, phone="call me")
    case.register_customer(policy, number, phone="021-5555 0000", territory="east")
    assert case.close_project(policy, number, "hand_over") == "won"
    customer = prospect_view(number)["customer"]
    assert customer["name"] == "华东铸造厂" and customer["grade_temporary"] is True
    assert customer["grade"] == "C"                     # new_customer.temporary_grade
    assert customer["grade_review_due_at"].startswith("2027-11-30")
    assert prospect_view(number)["next_review"] is None


def test_spending_more_than_5_percent_over_budget_waits_for_the_leader(db):
    policy = load_policy()
    number = apply(policy)
    to_development(policy, number, db)
    assert case.record_spend(policy, number, "21000")["status"] == "recorded"   # +5.0 %
    over = case.record_spend(policy, number, "1")
    assert over["status"] == "awaiting_approval"
    assert prospect_view(number)["budget"]["spent"] == "21000.00"
    with session_scope() as session:
        assert session.get(ApprovalTask, over["approval_task_id"]).assignee_key == "wang.gm"
    decide_as_assignee(policy, over["approval_task_id"])
    assert prospect_view(number)["budget"]["spent"] == "21001.00"


def test_a_budget_missing_after_7_days_escalates(db):
    policy = load_policy()
    number = apply(policy)
    assert pass_chain(policy, number, "application") == "approved"
    case.request_budget(policy, number, 1)
    at(db, MONDAY + timedelta(days=6))
    sweep(policy)
    assert sent_to(number, "prospect_overdue") == []
    at(db, MONDAY + timedelta(days=7, hours=9))  # 7 days end at 18:00 of the 7th day
    sweep(policy)
    assert sent_to(number, "prospect_overdue") == ["zheng.sales", "li.east"]


def test_bad_budget_and_spends_write_nothing(db):
    policy = load_policy()
    number = apply(policy)
    with pytest.raises(ProspectError, match="no budget is due"):
        case.submit_budget(policy, number, "1000")
    assert pass_chain(policy, number, "application") == "approved"
    case.request_budget(policy, number, 1)
    before = counts()
    for amount, words in (("30001", "exceeds the preliminary budget limit"), ("-5", "negative")):
        with pytest.raises(ProspectError, match=f"--amount: .*{words}"):
            case.submit_budget(policy, number, amount)
    with pytest.raises(ProspectError, match="no approved budget"):
        case.record_spend(policy, number, "10")
    assert counts() == before
    assert prospect_view(number)["budget"]["amount"] is None


def test_changing_the_offsets_and_reloading_moves_every_pending_review(db, tmp_path):
    policy = load_policy()
    numbers = [apply(policy, name=f"厂{i}") for i in range(2)]
    for number in numbers:
        to_development(policy, number, db)
    at(db, MONDAY + timedelta(days=10))
    case.track(policy, numbers[0], "第一次拜访", progress=True)  # its attention review is met
    before = {n: {r["review"]: r for r in prospect_view(n)["reviews"]} for n in numbers}

    data = yaml.safe_load(Path(DEFAULT_POLICY).read_text(encoding="utf-8"))
    data["new_customer"]["reviews"].update(tracking=20, attention=60, decision=150, report=300)
    edited = tmp_path / "policy.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db.setenv("KEFU_POLICY", str(edited))
    reloaded = subprocess.run([sys.executable, "-m", "cli.main", "init"], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
    assert reloaded.returncode == 0, reloaded.stderr
    assert "development projects: 7 pending review(s) moved" in reloaded.stdout

    for number in numbers:
        after = {r["review"]: r for r in prospect_view(number)["reviews"]}
        approved = datetime.fromisoformat(prospect_view(number)["approved_at"])
        for review, days in (("attention_90", 60), ("report_365", 300)):
            if before[number][review]["status"] == "met":
                assert after[review]["due_at"] == before[number][review]["due_at"]
            else:
                assert datetime.fromisoformat(after[review]["due_at"]) == approved + timedelta(days=days)
        assert datetime.fromisoformat(after["special_study_180"]["due_at"]).date() >= (
            approved + timedelta(days=150)).date()
        assert after["special_study_180"]["due_at"] < before[number]["special_study_180"]["due_at"]
        assert after["tracking"]["due_at"] < before[number]["tracking"]["due_at"]
    with session_scope() as session:  # the pending decision task moved with its clock
        tasks = session.scalars(select(ApprovalTask).where(ApprovalTask.step == "special_study"))
        assert all(t.due_at == t.clock.due_at for t in tasks)
    assert case.reschedule(load_policy()) == []  # nothing left to move


def test_the_year_end_reward_goes_group_finance_chairman(db):
    policy = load_policy()
    number = apply(policy)
    special_study = to_development(policy, number, db)
    on_day(policy, db, 181)
    decide_as_assignee(policy, special_study, outcome="hand_over")
    case.apply_outcome(policy, number, special_study)
    case.request_registration(policy, number)
    case.register_customer(policy, number, phone="13900000000")
    case.close_project(policy, number, "hand_over")
    with pytest.raises(ProspectError, match="--year: no project was won in 2026"):
        case.propose_reward(policy, 2026)
    at(db, datetime.fromisoformat("2027-12-20T10:00:00+08:00"))
    reward = case.propose_reward(policy, 2027)
    assignees = []
    for index in range(3):
        task_id = case.request_reward_step(policy, 2027, index, 1)
        with session_scope() as session:
            assignees.append(session.get(ApprovalTask, task_id).assignee_key)
        decide_as_assignee(policy, task_id)
        result = case.apply_reward_step(policy, 2027, index, task_id)
    assert (assignees, result) == (["lin.dev", "qian.finance", "dong.chair"], "approved")
    assert sent_to(reward, "prospect_reward_requested") == assignees
    with pytest.raises(ProspectError, match="already exists"):
        case.propose_reward(policy, 2027)
