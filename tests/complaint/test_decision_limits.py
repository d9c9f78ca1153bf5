"""Limits and proof inside the one approval mechanism (issue 19 §7, §8, §10): every path gets
them, because they are checked in ``tasks.approvals.decide``; the CLI records who typed."""

from __future__ import annotations

import getpass
import json
import os
import subprocess

import pytest
from conftest import KEFU, ROOT
from sqlalchemy import select
from test_complaint_steps import db, file  # noqa: F401  (db: fixture)

from models import ApprovalTask, AuditEntry
from models.db import session_scope
from policy.load import load_policy
from tasks.approvals import COMMENT_LIMIT, ApprovalError, decide
from tasks.complaint import case


def _handling_task(policy) -> int:
    number = file(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    return case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)


@pytest.mark.usefixtures("db")
def test_a_megabyte_comment_is_refused_naming_the_field_and_nothing_is_written():
    policy = load_policy()
    task_id = _handling_task(policy)
    with pytest.raises(ApprovalError, match="--comment: at most"), session_scope() as session:
        decide(session, policy, task_id, actor="chen.qe", decision="approve",
               comment="长" * (1024 * 1024))
    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).status == "pending"
    assert COMMENT_LIMIT < 1024 * 1024


@pytest.mark.usefixtures("db")
def test_bidi_and_control_characters_are_removed_from_comments():
    policy = load_policy()
    task_id = _handling_task(policy)
    with session_scope() as session:
        decide(session, policy, task_id, actor="chen.qe", decision="approve",
               comment="同意\u202e退回\x1b[31m\r\n下一行")
    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).comment == "同意退回[31m\n下一行"


@pytest.mark.usefixtures("db")
def test_an_actor_that_is_not_a_person_key_is_refused():
    policy = load_policy()
    task_id = _handling_task(policy)
    with pytest.raises(ApprovalError, match="not a person"), session_scope() as session:
        decide(session, policy, task_id, actor="chen.qe\n2026-12-02 10:00  chen.qe decide ok",
               decision="approve")


@pytest.mark.usefixtures("db")
def test_a_decision_entered_through_the_cli_names_the_os_user_who_typed_it():
    policy = load_policy()
    task_id = _handling_task(policy)
    done = subprocess.run([*KEFU, "approvals", "decide", str(task_id), "--as", "chen.qe",
                           "--decision", "approve"], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"entered by os:{getpass.getuser()}" in done.stdout
    with session_scope() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.task_id == task_id,
                                                        AuditEntry.action == "decide"))
        assert (entry.actor, entry.detail["entered_by"]) == ("chen.qe", f"os:{getpass.getuser()}")
    with session_scope() as session:
        assert json.dumps(session.get(ApprovalTask, task_id).decided_by) == '"chen.qe"'
