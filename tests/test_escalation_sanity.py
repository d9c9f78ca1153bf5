"""Escalation sanity (issue 21 §3): a late sweep sends the highest rung once, never levels 1, 2
and 3 in the same second; an escalation only goes up the superior chain; an owner is not asked
to urge themself; every escalation message links to the case in the inbox. Checked on the
outbox rows of a real (SQLite) database, without Prefect."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from models import ApprovalTask, CaseEvent, Escalation, Notification
from models.db import session_scope
from models.migrate import upgrade
from policy.load import load_policy
from tasks.clocks import start_clock
from tasks.complaint import case
from tasks.complaint.intake import file_complaint, parse_complaint
from tasks.escalation import sweep
from tasks.organisation import sync_organisation

# A handling clock due Wed 2 Dec 2026 at close of business; its ladder: level 1 at the due
# time, level 2 a working day later (Thu 3 Dec 18:00), level 3 after two (Fri 4 Dec 18:00).
DUE = datetime.fromisoformat("2026-12-02T18:00:00+08:00")
SATURDAY = datetime.fromisoformat("2026-12-05T09:00:00+08:00")
INBOX = "http://inbox.test.example"


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_MAIL_URL", "mailto://127.0.0.1:9?from=k@test.example&mode=insecure")
    monkeypatch.setenv("KEFU_INBOX_URL", INBOX)
    monkeypatch.setenv("KEFU_NOW", "2026-11-30T10:00:00+08:00")
    monkeypatch.delenv("KEFU_POLICY", raising=False)
    upgrade(url)
    with session_scope() as session:
        sync_organisation(session, load_policy())
    return monkeypatch


def run_sweep(db, moment: datetime) -> list[dict]:
    db.setenv("KEFU_NOW", moment.isoformat())
    return sweep(load_policy(), moment)


def clock(number: str, owner: str = "chen.qe", process: str = "complaint",
          name: str = "handling") -> int:
    with session_scope() as session:
        return start_clock(session, load_policy(), process=process, case_number=number,
                           name=name, owner=owner, due_at=DUE).id


def escalation_mails(number: str) -> list[Notification]:
    with session_scope() as session:
        return list(session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.idempotency_key.contains(":escalation:"))
            .order_by(Notification.id)))


def levels_mailed(number: str) -> list[tuple[int, str]]:
    """(level, recipient) of every escalation message of the case; the key ends level:person."""
    return [(int(m.idempotency_key.split(":")[-2]), m.recipient) for m in escalation_mails(number)]


def events(number: str, kind: str) -> list[dict]:
    with session_scope() as session:
        return [e.detail for e in session.scalars(select(CaseEvent).where(
            CaseEvent.case_number == number, CaseEvent.kind == kind).order_by(CaseEvent.id))]


# --- a sweep that catches up --------------------------------------------------------------

def test_a_catch_up_sweep_sends_one_mail_per_clock_for_the_highest_rung_only(db):
    clock("TS-2026-000101")
    clock("TS-2026-000102", owner="wu.ops")
    done = run_sweep(db, SATURDAY)  # the worker was down from Wednesday to Saturday
    assert sorted((d["case"], d["level"]) for d in done) == [
        ("TS-2026-000101", 3), ("TS-2026-000102", 3)]
    # Level 3 is the general manager: one message per clock, none for levels 1 and 2.
    assert levels_mailed("TS-2026-000101") == [(3, "wang.gm")]
    assert levels_mailed("TS-2026-000102") == [(3, "wang.gm")]


def test_the_skipped_rungs_are_recorded_as_skipped_and_never_sent_later(db):
    clock_id = clock("TS-2026-000103")
    run_sweep(db, SATURDAY)
    with session_scope() as session:
        rows = {e.level: e.notified for e in session.scalars(
            select(Escalation).where(Escalation.clock_id == clock_id))}
    assert rows == {1: [], 2: [], 3: ["wang.gm"]}
    skipped = events("TS-2026-000103", "escalation_skipped")
    assert [e["level"] for e in skipped] == [1, 2]
    assert all("level 3" in e["reason"] for e in skipped)
    assert events("TS-2026-000103", "escalated")[0]["skipped_levels"] == [1, 2]
    # Later sweeps find nothing left to send: levels 1 and 2 are never sent.
    assert run_sweep(db, SATURDAY + timedelta(days=3)) == []
    assert levels_mailed("TS-2026-000103") == [(3, "wang.gm")]


def test_a_sweep_on_time_still_sends_each_rung_in_turn(db):
    clock("TS-2026-000104")
    run_sweep(db, DUE + timedelta(minutes=5))
    run_sweep(db, DUE + timedelta(days=1, minutes=5))
    run_sweep(db, DUE + timedelta(days=2, minutes=5))
    assert levels_mailed("TS-2026-000104") == [(1, "chen.qe"), (1, "liu.quality"), (2, "wang.gm"),
                                                (3, "wang.gm")]
    assert events("TS-2026-000104", "escalation_skipped") == []


# --- only upwards -------------------------------------------------------------------------

def test_the_general_managers_overdue_decision_is_not_escalated_down_to_the_deputy(db):
    # 000 D8's ladder: level 2 tells role:deputy_leader (xu.deputy, who reports to wang.gm).
    number = "XK-2026-000201"
    clock(number, owner="wang.gm", process="new_customer", name="approval:budget_approve")
    run_sweep(db, DUE + timedelta(minutes=5))
    run_sweep(db, DUE + timedelta(days=1, minutes=5))
    assert [who for _, who in levels_mailed(number)] == ["wang.gm"]  # level 1, to himself only
    [skipped] = events(number, "escalation_skipped")
    assert skipped["level"] == 2
    assert "xu.deputy" in skipped["reason"] and "reports to the assignee wang.gm" in skipped["reason"]


def test_a_late_sweep_over_the_general_managers_decision_tells_only_him(db):
    number = "XK-2026-000203"
    clock(number, owner="wang.gm", process="new_customer", name="approval:budget_approve")
    run_sweep(db, DUE + timedelta(days=7))  # every rung due: 3 names him, 2 his deputy
    assert levels_mailed(number) == [(1, "wang.gm")]
    assert [e["level"] for e in events(number, "escalation_skipped")] == [2, 3]
    assert run_sweep(db, DUE + timedelta(days=8)) == []


def test_a_rung_naming_the_owner_goes_up_to_the_owners_superior(db):
    number = "XK-2026-000202"
    clock(number, owner="xu.deputy", process="new_customer", name="approval:budget_audit")
    run_sweep(db, DUE + timedelta(minutes=5))
    run_sweep(db, DUE + timedelta(days=1, minutes=5))
    assert levels_mailed(number) == [(1, "xu.deputy"), (1, "wang.gm"), (2, "wang.gm")]
    second = events(number, "escalated")[1]
    assert second["notified"] == ["wang.gm"]
    assert "wang.gm told instead" in second["passed_over"][0]


# --- what the message says ------------------------------------------------------------------

def test_the_owner_is_told_to_act_not_asked_to_urge_themself(db):
    clock("TS-2026-000105")
    run_sweep(db, DUE + timedelta(minutes=5))
    mails = {m.recipient: m.body for m in escalation_mails("TS-2026-000105")}
    assert set(mails) == {"chen.qe", "liu.quality"}
    assert "请督促" not in mails["chen.qe"] and "请您尽快办理" in mails["chen.qe"]
    assert "请督促 陈工" in mails["liu.quality"]


def test_every_escalation_mail_links_to_the_case_in_the_inbox(db):
    policy = load_policy()
    data = parse_complaint(policy, channel="phone", customer="测试客户", phone="13800000000",
                           content="酒的口感不对", email="c@customer.example")
    number = file_complaint(policy, data).number
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    task_id = case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
    with session_scope() as session:
        due_at = session.get(ApprovalTask, task_id).due_at
    run_sweep(db, due_at + timedelta(minutes=5))
    mails = escalation_mails(number)
    handling = [m for m in mails if f":escalation:{_clock_of(task_id)}:" in m.idempotency_key]
    assert handling, "the overdue decision was escalated"
    for mail in handling:
        assert f"{INBOX}/tasks/{task_id}" in mail.body
    # The case's other clocks (registration, reply) have no task: their mails open the case's
    # latest task, whose page shows the case card.
    assert all(f"{INBOX}/tasks/" in m.body for m in mails)


def _clock_of(task_id: int) -> int:
    with session_scope() as session:
        return session.get(ApprovalTask, task_id).clock_id
