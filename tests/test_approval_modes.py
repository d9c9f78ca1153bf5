"""The one approval mechanism's modes on a real database (SQLite and PostgreSQL, the
``database_url`` fixture), without Prefect: 或签 / 会签 / 依次, 加签 before and after, 转交
(a task handed on, and a standing delegate), 催办 rate-limited, 抄送; and the races — two
或签 signers at once, a decision against an escalation's reassignment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import ApprovalStatus, ApprovalTask, AuditEntry, Complaint, Delegation, Notification
from models.db import session_scope
from models.migrate import upgrade
from tasks import approvals as ap
from tasks.complaint.intake import file_complaint, parse_complaint
from tasks.deadlines import now
from tasks.organisation import sync_organisation


@pytest.fixture()
def db(database_url, policy, monkeypatch):
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_SECRET_KEY", "test-secret-for-modes")
    monkeypatch.setenv("KEFU_MAIL_URL", "mailto://127.0.0.1:9?from=k@test.example&mode=insecure")
    monkeypatch.delenv("KEFU_NOW", raising=False)
    monkeypatch.delenv("KEFU_POLICY", raising=False)
    upgrade(database_url)
    with session_scope() as session:
        sync_organisation(session, policy)
    return database_url


def new_case(policy) -> str:
    data = parse_complaint(policy, channel="phone", customer="模式测试", phone="13800000000",
                           content="酒的口感不对")
    number = file_complaint(policy, data).number
    with session_scope() as session:
        # No flow run for this case: a worker sharing the database must not start one.
        session.scalar(select(Complaint).where(Complaint.number == number)).flow_run_id = "none"
    return number


def ask(policy, number: str, mode: str, assignee: str, signers=(), cc=(), step="review") -> int:
    from tasks.case_context import case_context

    with session_scope() as session:
        lead = ap.request_approval(session, policy, ap.ApprovalRequest(
            process="complaint", case_number=number, step=step, label="方案审批",
            assignee=assignee, due_at=now() + timedelta(days=2), mode=mode,
            signers=tuple(signers), cc=tuple(cc),
            context=case_context(session, policy, "complaint", number)))
        return lead.id


def tasks_of(number: str, step: str = "review") -> dict[str, ApprovalTask]:
    with session_scope() as session:
        rows = session.scalars(select(ApprovalTask).where(ApprovalTask.case_number == number,
                                                          ApprovalTask.step == step)).all()
        return {t.assignee_key: t for t in rows}


def act(policy, task_id: int, actor: str, decision: str = "approve") -> ApprovalTask:
    with session_scope() as session:
        return ap.decide(session, policy, task_id, actor=actor, decision=decision, comment="ok")


def settled(task_id: int) -> ApprovalTask | None:
    with session_scope() as session:
        return ap.outcome(session, task_id)


def test_orsign_first_decision_wins_and_cancels_the_others(db, policy):
    number = new_case(policy)
    lead = ask(policy, number, "orsign", "liu.quality", signers=["wang.gm"])
    assert settled(lead) is None
    act(policy, tasks_of(number)["wang.gm"].id, "wang.gm")
    assert settled(lead).decided_by == "wang.gm"
    assert tasks_of(number)["liu.quality"].status == ApprovalStatus.CANCELLED
    with pytest.raises(ap.ApprovalError, match="already decided"):
        act(policy, lead, "liu.quality")


def test_countersign_needs_everyone_and_a_rejection_settles_it(db, policy):
    number = new_case(policy)
    lead = ask(policy, number, "countersign", "liu.quality", signers=["wang.gm", "xu.deputy"])
    act(policy, lead, "liu.quality")
    act(policy, tasks_of(number)["wang.gm"].id, "wang.gm")
    assert settled(lead) is None  # 会签: xu.deputy has not signed
    act(policy, tasks_of(number)["xu.deputy"].id, "xu.deputy")
    assert settled(lead).decision == "approve"

    number = new_case(policy)
    lead = ask(policy, number, "countersign", "liu.quality", signers=["wang.gm"])
    act(policy, lead, "liu.quality", "reject")
    assert settled(lead).decision == "reject"
    assert tasks_of(number)["wang.gm"].status == ApprovalStatus.CANCELLED


def test_sequential_signers_sign_in_turn_and_are_asked_in_turn(db, policy):
    number = new_case(policy)
    lead = ask(policy, number, "sequential", "liu.quality", signers=["wang.gm"])
    second = tasks_of(number)["wang.gm"].id
    with pytest.raises(ap.ApprovalError, match="liu.quality signs first"):
        act(policy, second, "wang.gm")
    with session_scope() as session:
        asked = {n.recipient for n in session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.template == "approval_requested"))}
    assert asked == {"liu.quality"}
    act(policy, lead, "liu.quality")
    with session_scope() as session:
        asked = {n.recipient for n in session.scalars(select(Notification).where(
            Notification.case_number == number, Notification.template == "approval_requested"))}
    assert asked == {"liu.quality", "wang.gm"}
    act(policy, second, "wang.gm")
    assert settled(lead).decided_by == "wang.gm"


def test_add_signer_before_and_after_me(db, policy):
    number = new_case(policy)
    lead = ask(policy, number, "single", "liu.quality")
    with session_scope() as session:
        ap.add_signer(session, policy, lead, actor="liu.quality", person="chen.qe",
                      position="before")
        ap.add_signer(session, policy, lead, actor="liu.quality", person="wang.gm",
                      position="after")
    with pytest.raises(ap.ApprovalError, match="chen.qe signs first"):
        act(policy, lead, "liu.quality")
    act(policy, tasks_of(number)["chen.qe"].id, "chen.qe")
    act(policy, lead, "liu.quality")
    assert settled(lead) is None  # 加签 after me: wang.gm still signs
    act(policy, tasks_of(number)["wang.gm"].id, "wang.gm")
    assert settled(lead).decision == "approve"
    with session_scope() as session, pytest.raises(ap.ApprovalError, match="may not add"):
        ap.add_signer(session, policy, ask(policy, number, "single", "wang.gm", step="other"),
                      actor="chen.qe", person="xu.deputy", position="after")


def test_delegates_decide_for_their_principal_and_nobody_else_can(db, policy):
    number = new_case(policy)
    lead = ask(policy, number, "single", "wang.gm")
    with pytest.raises(ap.ApprovalError, match="assigned to wang.gm; xu.deputy may not"):
        act(policy, lead, "xu.deputy")
    with session_scope() as session:
        session.add(Delegation(principal_key="wang.gm", delegate_key="xu.deputy",
                               starts_at=now() - timedelta(minutes=1), ends_at=None))
    decided = act(policy, lead, "xu.deputy")
    assert decided.decided_by == "xu.deputy" and decided.assignee_key == "wang.gm"
    # 转交 of a task: the new holder decides; the old one no longer can.
    lead = ask(policy, number, "single", "liu.quality", step="handover")
    with session_scope() as session:
        ap.delegate_task(session, policy, lead, actor="liu.quality", to="chen.qe")
    with pytest.raises(ap.ApprovalError, match="assigned to chen.qe"):
        act(policy, lead, "liu.quality")
    assert act(policy, lead, "chen.qe").decided_by == "chen.qe"


def test_nudge_is_rate_limited_and_cc_is_informed(db, policy, monkeypatch):
    number = new_case(policy)
    lead = ask(policy, number, "single", "liu.quality", cc=["zhou.ops"])
    with session_scope() as session:
        ap.nudge(session, policy, lead, actor="sun.admin")
    with session_scope() as session, pytest.raises(ap.ApprovalError, match="next nudge"):
        ap.nudge(session, policy, lead, actor="sun.admin")
    monkeypatch.setenv("KEFU_NOW", (now() + timedelta(hours=5)).isoformat())
    with session_scope() as session:
        ap.nudge(session, policy, lead, actor="sun.admin")
    with session_scope() as session:
        sent = [(n.template, n.recipient) for n in session.scalars(select(Notification).where(
            Notification.case_number == number))]
        assert sent.count(("approval_nudge", "liu.quality")) == 2
        assert ("approval_cc", "zhou.ops") in sent
        actions = [a.action for a in session.scalars(select(AuditEntry).where(
            AuditEntry.case_number == number))]
        assert actions.count("nudge") == 2


def _race(*calls):
    """Run the calls at the same moment in threads; each result is a value or the error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the loser's refusal is the point
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_orsign_signers_at_once_record_exactly_one_decision(db, policy):
    for _ in range(4):
        number = new_case(policy)
        lead = ask(policy, number, "orsign", "liu.quality", signers=["wang.gm"])
        other = tasks_of(number)["wang.gm"].id
        results = _race(lambda lead=lead: act(policy, lead, "liu.quality"),
                        lambda other=other: act(policy, other, "wang.gm", "reject"))
        won = [r for r in results if isinstance(r, ApprovalTask)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ap.ApprovalError) and "already decided" in str(lost[0])
        statuses = sorted(t.status for t in tasks_of(number).values())
        assert statuses == [ApprovalStatus.CANCELLED, ApprovalStatus.DECIDED]
        assert settled(lead).decided_by == won[0].decided_by


def test_a_decision_racing_an_escalation_reassignment_is_never_lost(db, tmp_path, monkeypatch):
    """A ladder rung with ``reassign: true`` hands the overdue task to the assignee's
    superior; the assignee decides at the same moment. Either the decision stands (and the
    sweep finds the clock met) or the reassignment stands and the decider is told so."""
    from policy.load import DEFAULT_POLICY, load_policy
    from tasks.escalation import escalate_clock

    variant = tmp_path / "reassign.yaml"
    variant.write_text(
        f"extends: {DEFAULT_POLICY}\nname: reassign-test\ncomplaint:\n  escalation:\n"
        "    ladder:\n      - {level: 1, after: 0h, notify: [assignee, superior], reassign: true}\n",
        encoding="utf-8")
    monkeypatch.setenv("KEFU_POLICY", str(variant))
    policy = load_policy()
    outcomes = set()
    for _ in range(4):
        number = new_case(policy)
        with session_scope() as session:
            from tasks.case_context import case_context
            lead = ap.request_approval(session, policy, ap.ApprovalRequest(
                process="complaint", case_number=number, step="review", label="方案审批",
                assignee="chen.qe", due_at=now() - timedelta(hours=1),
                context=case_context(session, policy, "complaint", number))).id
            clock_id = session.get(ApprovalTask, lead).clock_id

        def escalate(clock_id=clock_id):
            with session_scope() as session:
                return escalate_clock(session, policy, clock_id, now())

        decided, escalated = _race(lambda lead=lead: act(policy, lead, "chen.qe"), escalate)
        assert not isinstance(escalated, Exception), escalated
        task = tasks_of(number)["chen.qe" if isinstance(decided, ApprovalTask) else "liu.quality"]
        if isinstance(decided, ApprovalTask):
            # The decision won: it stands; the sweep found the clock met and did nothing.
            assert escalated == []
            assert task.status == ApprovalStatus.DECIDED and task.decided_by == "chen.qe"
            outcomes.add("decision first")
        else:
            # The reassignment won: the decider was told; the superior now decides.
            assert isinstance(decided, ap.ApprovalError), decided
            assert [row["level"] for row in escalated] == [1]
            assert task.status == ApprovalStatus.PENDING and task.assignee_key == "liu.quality"
            assert act(policy, lead, "liu.quality").decided_by == "liu.quality"
            outcomes.add("reassignment first")
    assert outcomes


def test_a_complaint_step_configured_as_countersign_waits_for_every_signer(db, tmp_path,
                                                                            monkeypatch):
    """The modes are policy configuration: the complaint's own steps honour them."""
    from policy.load import DEFAULT_POLICY, load_policy
    from tasks.complaint import case

    variant = tmp_path / "countersign.yaml"
    variant.write_text(
        f"extends: {DEFAULT_POLICY}\nname: countersign-test\ncomplaint:\n  handling_steps:\n"
        "    - {key: handling, label: 投诉处理, assignee: handler, mode: countersign,\n"
        "       signers: [\"role:quality_lead\"], cc: [\"head:marketing_admin\"]}\n",
        encoding="utf-8")
    monkeypatch.setenv("KEFU_POLICY", str(variant))
    policy = load_policy()
    number = new_case(policy)
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    step = policy.complaint.handling_steps[0]
    lead = case.request_handling_step(policy, number, step, None)
    signers = tasks_of(number, "handling")
    assert set(signers) == {"chen.qe", "liu.quality"}
    act(policy, lead, "chen.qe")
    assert settled(lead) is None
    act(policy, signers["liu.quality"].id, "liu.quality")
    assert case.apply_handling_decision(policy, number, lead, last_step=True) == "handled"
    with session_scope() as session:
        assert case.get(session, number).status == "feedback"
        assert session.scalar(select(Notification.id).where(
            Notification.case_number == number, Notification.template == "approval_cc",
            Notification.recipient == "sun.admin")) is not None


def ask_later(policy, number: str, opens_in: timedelta, signers=(), cc=(),
              due_in: timedelta | None = None) -> int:
    from tasks.case_context import case_context

    with session_scope() as session:
        return ap.request_approval(session, policy, ap.ApprovalRequest(
            process="complaint", case_number=number, step="review", label="方案审批",
            assignee="liu.quality", due_at=now() + (due_in or opens_in + timedelta(days=2)),
            mode="sequential", signers=tuple(signers), cc=tuple(cc), opens_at=now() + opens_in,
            context=case_context(session, policy, "complaint", number))).id


def asked(number: str) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Notification.recipient).where(
            Notification.case_number == number,
            Notification.idempotency_key.like(f"{number}:approval:%"))
            .order_by(Notification.id)))


def test_a_step_asked_ahead_opens_when_its_time_comes_and_is_mailed_once(db, policy):
    number = new_case(policy)
    lead = ask_later(policy, number, timedelta(days=3), signers=["wang.gm"])
    assert {t.status for t in tasks_of(number).values()} == {ApprovalStatus.SCHEDULED}
    with session_scope() as session:
        assert all(t.case_number != number for t in ap.pending_tasks(session))
        assert all(t.case_number != number for t in ap.inbox_tasks(session, "liu.quality"))
    with pytest.raises(ap.ApprovalError, match="opens at .*; it cannot be decided before"):
        act(policy, lead, "liu.quality")
    assert ap.open_due_tasks(policy, now() + timedelta(days=2, hours=23)) == []
    assert asked(number) == []

    opened = ap.open_due_tasks(policy, now() + timedelta(days=3, minutes=1))
    assert [o["task"] for o in opened] == [lead]
    assert {t.status for t in tasks_of(number).values()} == {ApprovalStatus.PENDING}
    assert asked(number) == ["liu.quality"]              # 依次: the first signer's turn
    assert ap.open_due_tasks(policy, now() + timedelta(days=4)) == []
    act(policy, lead, "liu.quality")
    assert asked(number) == ["liu.quality", "wang.gm"]


def test_a_step_asked_ahead_is_withdrawn_with_the_case_and_cannot_carry_cc(db, policy):
    number = new_case(policy)
    lead = ask_later(policy, number, timedelta(days=3))
    with session_scope() as session:
        assert ap.cancel_open_tasks(session, number, reason="case closed") >= 1
    assert ap.open_due_tasks(policy, now() + timedelta(days=4)) == []
    assert tasks_of(number)["liu.quality"].id == lead
    assert tasks_of(number)["liu.quality"].status == ApprovalStatus.CANCELLED
    with pytest.raises(ap.ApprovalError, match="cc: a request that opens later"):
        ask_later(policy, new_case(policy), timedelta(days=3), cc=["wang.gm"])
    with pytest.raises(ap.ApprovalError, match="opens_at: a request cannot open after it is due"):
        ask_later(policy, new_case(policy), timedelta(days=3), due_in=timedelta(days=1))
