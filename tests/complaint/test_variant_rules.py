"""The complaint variants (README "Complaint variants") without Prefect: their policy files
load and their numbers come from the files; the rules as pure functions (004 D5's triggers and
authority table, 000 D5's fines); the steps on a real SQLite database (a repeat complaint found
from the customer's history, the compensation's approver, 000 D12's written hand-over); bad
input names its field and writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import ApprovalTask, CaseEvent, Complaint
from models.db import session_scope
from models.migrate import upgrade
from policy.load import SHIPPED, check_policy, load_policy, read_policy
from tasks.approvals import ApprovalError, decide
from tasks.complaint import case, variant_steps
from tasks.complaint.intake import IntakeError, file_complaint, parse_complaint
from tasks.complaint.variant_rules import compensation_approver, grumble_fines, major_triggers
from tasks.decision_checks import check_decision
from tasks.organisation import sync_organisation

VARIANTS = SHIPPED / "variants"
D5, D15, GRUMBLES, FIRST = (VARIANTS / f"{name}.yaml" for name in
                            ("004-d5-car-dealer", "004-d15", "000-d5", "000-d12"))
MONDAY = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


@pytest.mark.parametrize("path", [D5, D15, GRUMBLES, FIRST], ids=lambda p: p.stem)
def test_each_variant_file_loads(path):
    assert check_policy(path) == []


def test_the_default_policy_has_no_variant_and_takes_no_flags():
    policy = read_policy(SHIPPED / "default.yaml")
    c = policy.complaint
    assert (c.major, c.compensation, c.grumbles, c.first_responsible) == (None, None, None, None)
    assert c.filing_flags() == {}
    with pytest.raises(IntakeError, match=r"^--trigger: 'media' is not a flag"):
        _parse(policy, triggers=["media"])


def _copy_with(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """The variant with one number changed, extending the shipped default as it does."""
    text = source.read_text(encoding="utf-8")
    assert old in text
    edited = tmp_path / source.name
    edited.write_text(text.replace(old, new).replace("../default.yaml",
                                                     str(SHIPPED / "default.yaml")),
                      encoding="utf-8")
    return edited


def test_the_variants_numbers_are_read_from_their_files(tmp_path):
    """No number of 004 D5 or 000 D5 is in the code: change it in the file and the rule moves."""
    d5 = read_policy(D5).complaint
    assert d5.major.warning.within.amount == 24
    assert compensation_approver(2000, d5.compensation) == "head:customer_relations"
    assert compensation_approver(2001, d5.compensation) == "role:general_manager"
    assert compensation_approver(20001, d5.compensation) == "role:ceo"
    edited = read_policy(_copy_with(tmp_path, D5, "up_to: 2000,", "up_to: 5000,")).complaint
    assert compensation_approver(2001, edited.compensation) == "head:customer_relations"
    edited = read_policy(_copy_with(tmp_path, D5, "within: 24h", "within: 12h")).complaint
    assert edited.major.warning.within.amount == 12

    rule = read_policy(GRUMBLES).complaint.grumbles
    assert [f.amount for f in grumble_fines(rule, staff="s", manager="m",
                                            to_general_manager=False, resolved_late=True)] == [500, 500]
    edited = read_policy(_copy_with(tmp_path, GRUMBLES, "fine_unresolved: 500",
                                    "fine_unresolved: 800")).complaint.grumbles
    assert {f.amount for f in grumble_fines(edited, staff="s", manager="m",
                                            to_general_manager=False, resolved_late=True)} == {800}


def test_a_bad_variant_setting_is_one_line_naming_its_key(tmp_path):
    bad = _copy_with(tmp_path, D5, "approver: \"role:general_manager\"", "approver: \"role:nobody\"")
    problems = check_policy(bad)
    assert len(problems) == 1 and "complaint.compensation.authority #2.approver: no person has role" in problems[0]
    bad = _copy_with(tmp_path, D5, "up_to: 20000,", "up_to: 1000,")
    assert "up_to must rise" in check_policy(bad)[0]


# --- the rules ------------------------------------------------------------------------------

def test_major_triggers_are_the_filing_flags_and_a_repeat_within_the_span():
    rule = read_policy(D5).complaint.major
    at = MONDAY
    assert major_triggers(rule, [], at, None) == []                          # 一般投诉
    assert major_triggers(rule, ["media", "door_blocking"], at, None) == ["media", "door_blocking"]
    assert major_triggers(rule, [], at, at - timedelta(days=89)) == ["repeat"]
    assert major_triggers(rule, [], at, at - timedelta(days=91)) == []
    assert major_triggers(rule, ["media"], at, at - timedelta(days=1)) == ["repeat", "media"]


def test_the_authority_table_names_the_approver_by_amount():
    table = read_policy(D5).complaint.compensation
    assert compensation_approver(1, table) == "head:customer_relations"
    assert compensation_approver(10**8, table) == "role:ceo"
    with pytest.raises(ValueError, match="positive"):
        compensation_approver(0, table)


def test_grumble_fines_per_person_per_time():
    """000 D5 §3.2: A the staff member; B manager and staff; C (not resolved in 3 days) both,
    the heavier fine."""
    rule = read_policy(GRUMBLES).complaint.grumbles
    a = grumble_fines(rule, staff="张三", manager="zhou.ops", to_general_manager=False,
                      resolved_late=False)
    b = grumble_fines(rule, staff="张三", manager="zhou.ops", to_general_manager=True,
                      resolved_late=False)
    c = grumble_fines(rule, staff="张三", manager="zhou.ops", to_general_manager=True,
                      resolved_late=True)
    assert [(f.person, f.amount, f.rule) for f in a] == [("张三", 100, "A")]
    assert [(f.person, f.amount, f.rule) for f in b] == [("zhou.ops", 100, "B"), ("张三", 100, "B")]
    assert [(f.person, f.amount, f.rule) for f in c] == [("zhou.ops", 500, "C"), ("张三", 500, "C")]


# --- the steps on a database ------------------------------------------------------------------

@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_MAIL_URL", "mailto://127.0.0.1:9?from=k@test.example&mode=insecure")
    monkeypatch.setenv("KEFU_NOW", MONDAY.isoformat())
    upgrade(url)
    return monkeypatch


def _use(db, path: Path):
    db.setenv("KEFU_POLICY", str(path))
    policy = load_policy()
    with session_scope() as session:
        sync_organisation(session, policy)
    return policy


def _parse(policy, **extra):
    return parse_complaint(policy, channel="phone", customer="测试客户", phone="13800000000",
                           content=extra.pop("content", "酒的口感不对"), email="c@customer.example",
                           **extra)


def _complaints() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(Complaint.id)))


def test_bad_flags_and_a_missing_first_responsible_are_one_line_and_write_nothing(db):
    policy = _use(db, D5)
    with pytest.raises(IntakeError) as bad:
        file_complaint(policy, _parse(policy, triggers=["media", "tv"]))
    assert str(bad.value).startswith("--trigger: 'tv' is not a flag of this policy")
    policy = _use(db, FIRST)
    with pytest.raises(IntakeError, match=r"^--taken-by: required by this policy"):
        _parse(policy)
    with pytest.raises(IntakeError, match=r"^--taken-by: 'nobody' is not a person"):
        _parse(policy, taken_by="nobody")
    assert _complaints() == 0


def _routed(policy, **extra) -> str:
    number = file_complaint(policy, _parse(policy, **extra)).number
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    return number


def test_a_second_complaint_of_the_customer_is_a_repeat_and_major(db):
    policy = _use(db, D5)
    first = _routed(policy)
    assert variant_steps.assess_major(policy, first) == []
    second = _routed(policy)
    assert variant_steps.assess_major(policy, second) == ["repeat"]
    assert variant_steps.assess_major(policy, second) == ["repeat"]   # once: as recorded
    task_id = variant_steps.request_major_warning(policy, second, None)
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        assert task.assignee_key == "gao.cr"
        assert task.due_at == MONDAY + timedelta(hours=24)
        assert "重复投诉" in task.label


def test_the_compensation_goes_to_the_approver_its_amount_names(db):
    policy = _use(db, D5)
    number = _routed(policy)
    step = policy.complaint.handling_steps[0]
    handling = case.request_handling_step(policy, number, step, None)
    with session_scope() as session:
        task = session.get(ApprovalTask, handling)
        with pytest.raises(ApprovalError, match=r"^--amount: 'lots' is not a whole number"):
            check_decision(policy, task, {"amount": "lots"})
        data = check_decision(policy, task, {"amount": "8000"})
        decide(session, policy, handling, actor="chen.qe", decision="approve",
               comment="更换变速箱", data=data)
    assert case.apply_handling_decision(policy, number, handling, True) == "compensation"
    asked = variant_steps.request_compensation(policy, number, handling, None)
    with session_scope() as session:
        task = session.get(ApprovalTask, asked)
        assert task.assignee_key == "wang.gm"          # 2,001–20,000 元: role:general_manager
        decide(session, policy, asked, actor="wang.gm", decision="approve")
    assert variant_steps.apply_compensation(policy, number, handling, asked) == "handled"
    with session_scope() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.number == number))
        assert complaint.status == "feedback" and "赔偿 8000 元" in complaint.resolution


def test_an_amount_under_a_policy_without_a_table_is_refused(db):
    policy = _use(db, D15)
    number = _routed(policy)
    handling = case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
    with session_scope() as session:
        task = session.get(ApprovalTask, handling)
        with pytest.raises(ApprovalError, match=r"^--amount: this policy has no compensation"):
            check_decision(policy, task, {"amount": 100})
        meeting_less = check_decision(policy, task, {"category": None})
        assert meeting_less == {"category": None}


def test_the_first_responsible_keeps_the_case_until_a_written_hand_over(db):
    policy = _use(db, FIRST)
    number = _routed(policy, taken_by="wu.ops")
    with session_scope() as session:
        assert session.scalar(select(Complaint.handler_key).where(
            Complaint.number == number)) == "wu.ops"          # not the category's chen.qe
    handling = case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
    with pytest.raises(ValueError, match=r"^--as: chen.qe is not the first responsible person"):
        variant_steps.hand_over(policy, number, actor="chen.qe", to="chen.qe", note="我来处理吧")
    with pytest.raises(ValueError, match=r"^--note: the written hand-over needs at least 4"):
        variant_steps.hand_over(policy, number, actor="wu.ops", to="chen.qe", note="好")
    assert variant_steps.hand_over(policy, number, actor="wu.ops", to="chen.qe",
                                   note="质量问题，移交质量工程师") == "chen.qe"
    with session_scope() as session:
        assert session.get(ApprovalTask, handling).assignee_key == "chen.qe"
        kinds = list(session.scalars(select(CaseEvent.kind).where(
            CaseEvent.case_number == number)))
        assert "handed_over" in kinds and "approval_reassigned" in kinds


def test_an_import_line_with_a_flag_the_policy_lacks_is_one_line_and_files_nothing(offline_kefu,
                                                                                   tmp_path):
    """The JSON Lines import takes ``triggers`` as the CLI's --trigger (004 D5); one bad flag
    refuses the whole file, naming the line and the field."""
    import json

    offline_kefu.env["KEFU_POLICY"] = "004-d5-car-dealer"
    line = {"channel": "phone", "customer": "导入客户", "phone": "13800000000",
            "content": "包装破损"}
    lines = [json.dumps({**line, "triggers": ["media"]}, ensure_ascii=False),
             json.dumps({**line, "triggers": ["tv"]}, ensure_ascii=False)]
    path = tmp_path / "complaints.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = offline_kefu.run("complaint", "import", str(path), check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: line 2: --trigger: 'tv' is not a flag of this policy (manufacturer, "
        "door_blocking, disturbance, return_exchange, media, other_serious)"], done.stderr
    assert offline_kefu._peek("SELECT count(*) FROM complaints") == 0
