"""000 D2 §3.3 (issue 21 §10): a complaint about service or attitude names the staff member
营管办 criticises. The 客户投诉表 takes it at intake — `kefu complaint file --staff`, the API's
``staff``, a column of `kefu complaint import` — the case shows it, and the public criticism
names that person when the decision names nobody else."""

from __future__ import annotations

import json

from sqlalchemy import select

from models import CaseEvent, Notification
from models.db import session_scope
from policy.load import load_policy
from tasks.complaint.card import case_card_text, complaint_view
from tasks.complaint.intake import file_complaint, parse_complaint
from tests.complaint.test_complaint_steps import db, run_to_feedback  # noqa: F401
from tests.test_api import api  # noqa: F401

STAFF = "王五（送货员）"


def test_the_cli_files_the_staff_member_and_the_case_shows_them(offline_kefu, tmp_path):
    filed = offline_kefu.json("complaint", "file", "--channel", "phone", "--customer", "王女士",
                              "--phone", "13800000000", "--content", "送货员态度恶劣",
                              "--staff", STAFF)
    number = filed["number"]
    assert offline_kefu.show(number)["staff"] == STAFF
    assert f"**被投诉人员** {STAFF}" in offline_kefu.run("complaint", "show", number).stdout

    table = tmp_path / "complaints.jsonl"
    table.write_text(json.dumps({"channel": "written", "customer": "赵先生", "phone": "13900000009",
                                 "content": "售后服务怠慢", "staff": "钱六"}, ensure_ascii=False),
                     encoding="utf-8")
    imported = offline_kefu.json("complaint", "import", str(table))
    assert offline_kefu.show(imported[0]["number"])["staff"] == "钱六"

    refused = offline_kefu.run("complaint", "file", "--channel", "phone", "--customer", "王女士",
                               "--phone", "13800000000", "--content", "态度差", "--staff", "王" * 65,
                               check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == ["error: --staff: longer than 64 characters"]


def test_the_criticism_names_the_staff_member_from_the_form(db):  # noqa: F811
    policy = load_policy()
    number = file_complaint(policy, parse_complaint(
        policy, channel="phone", customer="王女士", phone="13800000000", content="送货员态度恶劣",
        email="wang@customer.example", staff=STAFF)).number
    run_to_feedback(policy, number)   # the handling decision names nobody (no --person)
    with session_scope() as session:
        criticism = session.scalar(select(CaseEvent).where(CaseEvent.case_number == number,
                                                           CaseEvent.kind == "public_criticism"))
        asked = session.scalar(select(Notification).where(
            Notification.case_number == number, Notification.template == "approval_requested"))
        feedback = session.scalar(select(Notification).where(
            Notification.case_number == number, Notification.template == "feedback_form"))
    assert criticism.detail["person"] == STAFF
    assert f"被投诉人员：{STAFF}" in asked.body         # the handler is told whom it is about
    assert STAFF in feedback.body                       # the customer is told who was criticised
    assert complaint_view(number)["staff"] == STAFF and STAFF in case_card_text(number)


def test_the_api_takes_the_staff_member(api):  # noqa: F811
    with api.client("hotline") as client:
        filed = client.post("/complaints", json={
            "channel": "hotline", "customer": {"name": "接口测试", "phone": "13900000001"},
            "content": "客服态度冷淡", "staff": "孙七"})
        assert filed.status_code == 201, filed.text
        shown = client.get(f"/complaints/{filed.json()['number']}").json()
    assert shown["staff"] == "孙七"
