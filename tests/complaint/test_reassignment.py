"""Reassignment when the assignee is away (issue 21 §8): by a superior of the assignee or by an
admin at the command line, recorded and audited, distinct from the assignee's own 转交."""

from __future__ import annotations

import getpass
import os
import subprocess

import pytest
from conftest import KEFU, ROOT
from sqlalchemy import select
from test_complaint_steps import db, file  # noqa: F401  (db: fixture)

from models import ApprovalTask, AuditEntry, CaseEvent, Notification
from models.db import session_scope
from policy.load import load_policy
from tasks.approvals import ApprovalError, reassign_for_absent
from tasks.complaint import case


def _handling_task(policy) -> int:
    number = file(policy, "酒的口感不对")
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    return case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)


def _kefu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*KEFU, *args], cwd=ROOT, env=dict(os.environ), capture_output=True,
                          text=True, timeout=120)


@pytest.mark.usefixtures("db")
def test_a_superior_reassigns_an_absent_engineers_task_and_the_new_assignee_is_asked():
    policy = load_policy()
    task_id = _handling_task(policy)
    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).assignee_key == "chen.qe"
        reassign_for_absent(session, policy, task_id, actor="liu.quality", to="wang.gm",
                            reason="陈工休假至12月10日", via="inbox")
    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).assignee_key == "wang.gm"
        moved = session.scalar(select(CaseEvent).where(CaseEvent.kind == "approval_reassigned"))
        assert (moved.actor, moved.detail["previous"], moved.detail["reason"]) == (
            "liu.quality", "chen.qe", "陈工休假至12月10日")
        asked = session.scalars(select(Notification).where(Notification.recipient == "wang.gm")).all()
        assert asked and "/l/" in asked[-1].body


@pytest.mark.usefixtures("db")
def test_someone_who_is_not_a_superior_cannot_reassign_and_a_reason_is_required():
    policy = load_policy()
    task_id = _handling_task(policy)
    with pytest.raises(ApprovalError, match="--as: wu.ops is not a superior of chen.qe"), \
            session_scope() as session:
        reassign_for_absent(session, policy, task_id, actor="wu.ops", to="wu.ops", reason="x")
    with pytest.raises(ApprovalError, match="--reason"), session_scope() as session:
        reassign_for_absent(session, policy, task_id, actor="liu.quality", to="wu.ops", reason=" ")
    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).assignee_key == "chen.qe"


@pytest.mark.usefixtures("db")
def test_an_admin_reassigns_from_the_command_line_recorded_with_the_os_user():
    policy = load_policy()
    task_id = _handling_task(policy)
    done = _kefu("approvals", "reassign", str(task_id), "--to", "liu.quality", "--reason", "病假")
    assert done.returncode == 0, done.stderr
    assert f"by admin (entered by os:{getpass.getuser()})" in done.stdout
    with session_scope() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "reassign"))
        assert (entry.actor, entry.detail["entered_by"], entry.detail["to"]) == (
            "admin", f"os:{getpass.getuser()}", "liu.quality")
    refused = _kefu("approvals", "reassign", str(task_id), "--to", "chen.qe", "--reason", "x",
                    "--as", "wu.ops")
    assert refused.returncode == 2 and "is not a superior of liu.quality" in refused.stderr
