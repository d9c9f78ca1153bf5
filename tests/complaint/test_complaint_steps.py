"""The complaint's steps as plain functions on a real (SQLite) database, without Prefect: the
Doc13 variant's two approvals, a customer who is not satisfied, retention and purge, the
report. Time is moved with KEFU_NOW."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import ApprovalTask, Complaint, Notification
from models.db import session_scope
from models.migrate import upgrade
from policy.load import SHIPPED, load_policy
from tasks.approvals import ApprovalError, decide
from tasks.complaint import case
from tasks.complaint.archive import purge_expired
from tasks.complaint.intake import file_complaint, parse_complaint
from tasks.complaint.report import complaint_report
from tasks.organisation import sync_organisation

MONDAY = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_MAIL_URL", "mailto://127.0.0.1:9?from=k@test.example&mode=insecure")
    monkeypatch.setenv("KEFU_NOW", MONDAY.isoformat())
    monkeypatch.delenv("KEFU_POLICY", raising=False)
    upgrade(url)
    with session_scope() as session:
        sync_organisation(session, load_policy())
    return monkeypatch


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setenv("KEFU_NOW", moment.isoformat())


def file(policy, content: str, important: bool = False) -> str:
    data = parse_complaint(policy, channel="phone", customer="测试客户", phone="13800000000",
                           content=content, email="c@customer.example", important=important)
    return file_complaint(policy, data).number


def approve(policy, task_id: int, decision: str = "approve", comment: str = "ok") -> ApprovalTask:
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        return decide(session, policy, task_id, actor=task.assignee_key, decision=decision,
                      comment=comment)


def run_to_feedback(policy, number: str) -> None:
    """classify → route → reply → every handling step approved → feedback form."""
    assert case.classify_complaint(policy, number) is not None
    case.route_complaint(policy, number)
    case.reply_to_customer(policy, number)
    steps = policy.complaint.handling_steps
    for index, step in enumerate(steps):
        task_id = case.request_handling_step(policy, number, step, None)
        approve(policy, task_id)
        outcome = case.apply_handling_decision(policy, number, task_id, index == len(steps) - 1)
        assert outcome == ("handled" if index == len(steps) - 1 else "next")
    assert case.send_feedback_form(policy, number) is None     # mailed: nobody has to phone


def close(policy, number: str, satisfied: bool = True) -> str:
    task_id = case.request_customer_opinion(policy, number, None)
    approve(policy, task_id, "approve" if satisfied else "reject")
    return case.apply_customer_opinion(policy, number, task_id)


def test_doc13_variant_needs_the_quality_lead_then_the_general_manager(db):
    db.setenv("KEFU_POLICY", str(SHIPPED / "variants" / "doc13.yaml"))
    policy = load_policy()
    number = file(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    first, second = policy.complaint.handling_steps
    review = case.request_handling_step(policy, number, first, None)
    with session_scope() as session:
        task = session.get(ApprovalTask, review)
        assert task.assignee_key == "liu.quality"               # role:quality_lead
        # 第六条2: the quality lead reports within three days of the investigation.
        # Calendar days end at close of business: Thu 26 Nov 18:00 (issue 21 §4).
        assert task.due_at == datetime.fromisoformat("2026-11-26T18:00:00+08:00")
    approve(policy, review)
    assert case.apply_handling_decision(policy, number, review, last_step=False) == "next"
    manager = case.request_handling_step(policy, number, second, None)
    with session_scope() as session:
        task = session.get(ApprovalTask, manager)
        assert task.assignee_key == "wang.gm"                   # role:general_manager
        # 第六条3: 一周内处理完毕 — Mon 30 Nov at close of business.
        assert task.due_at == datetime.fromisoformat("2026-11-30T18:00:00+08:00")
    approve(policy, manager, "reject", "方案不够")
    # on_reject: restart — the plan goes back to the quality lead in a new round.
    assert case.apply_handling_decision(policy, number, manager, last_step=True) == "restart"
    with session_scope() as session:
        assert case.get(session, number).round == 2


def test_a_customer_not_satisfied_reopens_handling_with_a_fresh_clock(db):
    policy = load_policy()
    number = file(policy, "送货员态度很差")
    run_to_feedback(policy, number)
    at(db, MONDAY + timedelta(days=1))
    assert close(policy, number, satisfied=False) == "reopened"
    with session_scope() as session:
        complaint = case.get(session, number)
        assert (complaint.round, complaint.status, complaint.feedback_sent_at) == (2, "handling", None)
    run_to_feedback(policy, number)
    assert close(policy, number) == "closed"
    case.archive_complaint(policy, number)
    with session_scope() as session:
        forms = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.case_number == number, Notification.template == "feedback_form"))
        assert forms == 2                                       # one per round, never more
        assert case.get(session, number).status == "archived"


def test_re_running_every_step_changes_nothing_and_sends_nothing_twice(db):
    policy = load_policy()
    number = file(policy, "包装破损")
    run_to_feedback(policy, number)
    with session_scope() as session:
        before = session.scalar(select(func.count()).select_from(Notification))
    # What a resumed flow does: every step again from the top.
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    assert case.reply_to_customer(policy, number) is None
    task_id = case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
    assert case.apply_handling_decision(policy, number, task_id, True) == "handled"
    assert case.send_feedback_form(policy, number) is None
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == before
        assert case.get(session, number).round == 1
    with pytest.raises(ApprovalError, match="already decided"):
        approve(policy, task_id)


def test_asking_again_for_a_queued_request_issues_no_link_or_code(db):
    """A resumed run asks for its step again: the request is queued already, so no second
    signed link or one-time code is made (they would sit in link_tokens unused)."""
    from models import LinkToken

    policy = load_policy()
    number = file(policy, "包装破损")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    step = policy.complaint.handling_steps[0]
    first = case.request_handling_step(policy, number, step, None)
    with session_scope() as session:
        issued = session.scalar(select(func.count()).select_from(LinkToken))
    assert issued == 2                                   # the mail's link and the form's code
    assert case.request_handling_step(policy, number, step, None) == first
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(LinkToken)) == issued


def test_purge_removes_only_expired_ordinary_cases(db):
    policy = load_policy()
    ordinary, important = file(policy, "口感差"), file(policy, "口感差", important=True)
    for number in (ordinary, important):
        run_to_feedback(policy, number)
        close(policy, number)
        case.archive_complaint(policy, number)
    at(db, MONDAY + timedelta(days=364))
    assert purge_expired() == []                                # 资料保存一年
    at(db, MONDAY + timedelta(days=366))
    assert purge_expired(dry_run=True) == [ordinary]
    assert purge_expired() == [ordinary]
    with session_scope() as session:
        left = set(session.scalars(select(Complaint.number)))
        assert left == {important}                              # 重要的资料长期保存


def test_weekly_report_counts_categories_points_and_handling_time(db):
    policy = load_policy()
    quality, service, _unread = file(policy, "口感差"), file(policy, "态度差"), file(policy, "你好")
    for number in (quality, service):
        case.classify_complaint(policy, number)
        case.route_complaint(policy, number)
    at(db, MONDAY + timedelta(hours=5))
    run_to_feedback(policy, quality)
    report = complaint_report(policy, "weekly", end=MONDAY + timedelta(days=1))
    assert report["total"] == 3
    assert report["by_category"] == {"quality": 1, "service": 1, "unclassified": 1}
    assert report["by_department"] == {"quality": 1, "ops_office": 1, "unrouted": 1}
    assert report["points_by_department"] == {"quality": 1, "ops_office": 1}  # §7: one each
    assert report["average_handling_hours"] == 5.0
    assert report["overdue"] == 0
    later = complaint_report(policy, "weekly", end=MONDAY + timedelta(days=8))
    assert later["total"] == 0                                  # outside the week


def test_report_period_must_be_weekly_or_monthly(db):
    with pytest.raises(ValueError, match="period"):
        complaint_report(load_policy(), "daily")


def test_a_zero_average_handling_time_is_shown_as_zero_not_as_missing():
    from tasks.complaint.report import report_rows

    empty = {k: {} for k in ("by_category", "by_department", "by_status", "points_by_department",
                             "points_by_person")}
    rows = report_rows({**empty, "total": 1, "overdue": 0, "average_handling_hours": 0.0})
    assert ("summary", "average_handling_hours", "0.0") in rows
    rows = report_rows({**empty, "total": 0, "overdue": 0, "average_handling_hours": None})
    assert ("summary", "average_handling_hours", "—") in rows


def test_one_sweep_escalates_every_overdue_clock_beyond_one_batch(db):
    from models import Escalation
    from tasks.clocks import start_clock
    from tasks.escalation import BATCH, sweep

    policy = load_policy()
    count = BATCH + 20
    with session_scope() as session:
        for i in range(count):
            start_clock(session, policy, process="complaint", case_number=f"TS-2026-{i:06d}",
                        name="handling", owner="chen.qe", due_at=MONDAY - timedelta(hours=1))
        start_clock(session, policy, process="complaint", case_number="TS-2026-999999",
                    name="handling", owner="chen.qe", due_at=MONDAY + timedelta(hours=1))
    escalated = sweep(policy)
    assert len(escalated) == count and {e["level"] for e in escalated} == {1}
    assert sweep(policy) == []
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Escalation)) == count
