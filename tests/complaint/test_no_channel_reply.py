"""000 D2 §2.1 and §4.1 when no channel reaches the customer (a phone complaint without an
e-mail, no SMS gateway): the reply and the 客户处理反馈单 are phone calls by a person, and their
24-hour clocks are met by the calls, never by a message that went nowhere. The steps as plain
functions on a real (SQLite) database, without Prefect; time moves with KEFU_NOW."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from test_complaint_steps import MONDAY, at, db  # noqa: F401  (db: the steps tests' fixture)

from models import ApprovalTask, CaseEvent, Notification
from models.db import session_scope
from policy.load import load_policy
from tasks.approvals import ApprovalError, decide
from tasks.clocks import get_clock
from tasks.complaint import case
from tasks.complaint.intake import file_complaint, parse_complaint

PHONE = "13912345678"


def file_by_phone(policy, content: str, email: str | None = None) -> str:
    data = parse_complaint(policy, channel="phone", customer="张三", phone=PHONE,
                           content=content, email=email)
    return file_complaint(policy, data).number


def task(task_id: int) -> ApprovalTask:
    with session_scope() as session:
        found = session.get(ApprovalTask, task_id)
        session.expunge(found)
        return found


def called(policy, task_id: int) -> None:
    with session_scope() as session:
        assignee = session.get(ApprovalTask, task_id).assignee_key
        decide(session, policy, task_id, actor=assignee, decision="approve", comment="已电话联系")


def clock_met_at(number: str, name: str, round: int = 1) -> datetime | None:
    with session_scope() as session:
        return get_clock(session, number, name, round).met_at


def mails_to(number: str, person: str) -> list[Notification]:
    with session_scope() as session:
        rows = list(session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.recipient == person)
            .order_by(Notification.id)))
        session.expunge_all()
        return rows


def handle(policy, number: str) -> None:
    step = policy.complaint.handling_steps[0]
    task_id = case.request_handling_step(policy, number, step, None)
    with session_scope() as session:
        decide(session, policy, task_id, actor=session.get(ApprovalTask, task_id).assignee_key,
               decision="approve", comment="已更换")
    assert case.apply_handling_decision(policy, number, task_id, True) == "handled"


def test_a_reply_that_reaches_nobody_is_a_call_and_its_clock_waits_for_the_call(db):
    policy = load_policy()
    number = file_by_phone(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    call = case.reply_to_customer(policy, number)

    assert call is not None                          # nobody reads the unsent reply
    with session_scope() as session:
        [reply] = session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.template == "complaint_reply"))
        assert reply.status == "no_channel"
        assert case.get(session, number).replied_at is None
    assert clock_met_at(number, "reply") is None
    asked = task(call)
    assert asked.assignee_key == "chen.qe"           # the responsible person phones
    assert PHONE in asked.label and "张三" in asked.label
    assert asked.allowed_decisions == ["approve"]
    assert asked.due_at == MONDAY + timedelta(hours=24)      # §2.1: 24小时答复客户
    [request] = mails_to(number, "chen.qe")
    assert PHONE in request.title and PHONE in request.body

    at(db, MONDAY + timedelta(hours=3))
    called(policy, call)
    case.record_call(policy, number, call)
    assert clock_met_at(number, "reply") == MONDAY + timedelta(hours=3)
    with session_scope() as session:
        assert case.get(session, number).replied_at == MONDAY + timedelta(hours=3)
        replied = session.scalar(select(CaseEvent).where(
            CaseEvent.case_number == number, CaseEvent.kind == "customer_replied"))
        assert (replied.actor, replied.detail["via"]) == ("chen.qe", "phone")


def test_an_unanswered_call_escalates_and_the_reply_clock_stays_open(db):
    from tasks.escalation import sweep

    policy = load_policy()
    number = file_by_phone(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    case.reply_to_customer(policy, number)
    at(db, MONDAY + timedelta(hours=25))
    escalated = [e for e in sweep(policy) if e["case"] == number and e["clock"] == "reply"]
    assert escalated and "chen.qe" in escalated[0]["notified"]
    assert clock_met_at(number, "reply") is None


def test_re_running_the_reply_asks_for_one_call_and_records_it_once(db):
    policy = load_policy()
    number = file_by_phone(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    call = case.reply_to_customer(policy, number)
    assert case.reply_to_customer(policy, number) == call
    called(policy, call)
    for _ in range(2):
        case.record_call(policy, number, call)
    assert case.reply_to_customer(policy, number) is None
    with pytest.raises(ApprovalError, match="already decided"):
        called(policy, call)
    with session_scope() as session:
        kinds = list(session.scalars(select(CaseEvent.kind).where(
            CaseEvent.case_number == number, CaseEvent.kind == "customer_replied")))
        calls = session.scalars(select(ApprovalTask).where(
            ApprovalTask.case_number == number, ApprovalTask.step == case.REPLY_CALL)).all()
    assert kinds == ["customer_replied"] and len(calls) == 1
    assert len(mails_to(number, "chen.qe")) == 1


def test_the_feedback_form_that_reaches_nobody_is_a_call_by_the_ops_office(db):
    policy = load_policy()
    number = file_by_phone(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    reply = case.reply_to_customer(policy, number)
    called(policy, reply)
    case.record_call(policy, number, reply)
    at(db, MONDAY + timedelta(hours=5))
    handle(policy, number)

    call = case.send_feedback_form(policy, number)
    assert call is not None
    assert clock_met_at(number, "feedback") is None
    asked = task(call)
    assert asked.assignee_key == "wu.ops" and PHONE in asked.label   # 营管办
    assert asked.due_at == MONDAY + timedelta(hours=5 + 24)          # §4.1: 24小时内
    with session_scope() as session:
        assert case.get(session, number).feedback_sent_at is None
    at(db, MONDAY + timedelta(hours=8))
    called(policy, call)
    case.record_call(policy, number, call)
    assert case.send_feedback_form(policy, number) is None
    assert clock_met_at(number, "feedback") == MONDAY + timedelta(hours=8)

    opinion = case.request_customer_opinion(policy, number, None)
    assert PHONE in task(opinion).label
    request = mails_to(number, "wu.ops")[-1]
    assert PHONE in request.body                     # 营管办 can ask the customer's opinion


def test_the_opinion_request_carries_the_phone_also_when_the_form_was_mailed(db):
    policy = load_policy()
    number = file_by_phone(policy, "酒的口感不对", email="zhang@customer.example")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    assert case.reply_to_customer(policy, number) is None
    assert clock_met_at(number, "reply") == MONDAY
    handle(policy, number)
    assert case.send_feedback_form(policy, number) is None
    assert clock_met_at(number, "feedback") == MONDAY
    opinion = case.request_customer_opinion(policy, number, None)
    assert PHONE in mails_to(number, "wu.ops")[-1].body
    with session_scope() as session:
        steps = set(session.scalars(select(ApprovalTask.step).where(
            ApprovalTask.case_number == number)))
    assert steps == {"handling", "customer_feedback"} and opinion


def test_a_rejected_triage_is_still_answered_by_phone_by_the_registrar(db):
    policy = load_policy()
    number = file_by_phone(policy, "你好")
    assert case.classify_complaint(policy, number) is None
    triage = case.request_triage(policy, number, None)
    with session_scope() as session:
        decide(session, policy, triage, actor="sun.admin", decision="reject", comment="咨询")
    assert case.apply_triage(policy, number, triage) == "rejected"
    call = task(case.reply_to_customer(policy, number))
    assert (call.step, call.assignee_key) == (case.REPLY_CALL, "sun.admin")  # 营销办管理部
    assert PHONE in call.label
