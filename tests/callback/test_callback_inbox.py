"""The caller records a callback's result in the inbox like any other task (issue 21 §10):
the task page shows the callback beside the form, the result is chosen in words, and a
dissatisfied customer's result, recorded there, leads to a second callback and the department
head's notice."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from conftest import KEFU, ROOT

from runtime.ports import free_port
from tests.test_inbox import CSRF, PASSWORD, Site, serve_inbox

NOW = "2026-11-24T10:00:00+08:00"


@pytest.fixture()
def callback(offline_kefu, monkeypatch) -> tuple[str, int]:
    """An important complaint handled and archived (the complaint's own steps are tested in
    tests/complaint), drawn for its callback, the callback asked."""
    from sqlalchemy import select

    from models import Complaint
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.callback.case import consider_handled, request_callback
    from tasks.complaint.intake import file_complaint, parse_complaint
    from tasks.deadlines import now

    for key in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    monkeypatch.setenv("KEFU_NOW", NOW)
    policy = load_policy()
    filed = file_complaint(policy, parse_complaint(
        policy, channel="phone", customer="回访客户", phone="13900000002",
        content="酒的口感不对，有异味", email="hf@customer.example", important=True))
    with session_scope() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.number == filed.number))
        complaint.status, complaint.department_key = "archived", "quality"
        complaint.closed_at = now() - timedelta(hours=1)
    [number] = consider_handled(policy)
    return number, request_callback(policy, number, 1)


def test_the_caller_records_a_dissatisfied_customer_in_the_inbox(offline_kefu, callback, tmp_path):
    from models import ApprovalTask, Notification
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.callback.case import apply_result

    number, task_id = callback
    done = subprocess.run([*KEFU, "users", "set-password", "liu.quality", "--password-stdin"],
                          env=offline_kefu.env, cwd=ROOT, input=PASSWORD + "\n", text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    port = free_port()
    env = {**offline_kefu.env, "KEFU_INBOX_URL": f"http://127.0.0.1:{port}", "KEFU_NOW": NOW}
    with serve_inbox(env, port, tmp_path / "inbox.log") as base:
        caller = Site(env, base, None).login("liu.quality")
        page = caller.get(f"/tasks/{task_id}").text
        assert number in page and "投诉回访" in page
        assert re.search(r'<option value="dissatisfied">客户不满意</option>', page)
        token = CSRF.search(page).group(1)
        answer = caller.post(f"/tasks/{task_id}/decide", data={
            "csrf_token": token, "decision": "approve", "outcome": "dissatisfied",
            "comment": "电话回访：客户希望补发赠品"})
        assert answer.status_code == 303, answer.text

    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        assert (task.decided_by, task.decision_data) == ("liu.quality", {"outcome": "dissatisfied"})
    # What the flow does next (its steps are plain functions): a second callback, and the
    # department head told to put it right.
    assert apply_result(load_policy(), number, task_id) == "again"
    with session_scope() as session:
        told = [n.template for n in session.query(Notification).filter_by(case_number=number)]
    assert "callback_dissatisfied" in told
