"""Issue 21 §10: every process's tasks are decided in the inbox with the case beside them — a
new-customer override, a section chief's pre-grade with its grade changes, and the tier
meeting's decision, which the inbox checks as the CLI does (no meeting without attendees)."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import KEFU, ROOT

from runtime.ports import free_port
from tests.test_inbox import CSRF, PASSWORD, Site, serve_inbox
from tests.tier.test_tier_outputs import assessment  # noqa: F401


def _password(env: dict, person: str) -> None:
    done = subprocess.run([*KEFU, "users", "set-password", person, "--password-stdin"], env=env,
                          cwd=ROOT, input=PASSWORD + "\n", text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture()
def site(offline_kefu, assessment, tmp_path):  # noqa: F811
    for person in ("li.east", "ma.promo", "wang.gm"):
        _password(offline_kefu.env, person)
    port = free_port()
    env = {**offline_kefu.env, "KEFU_INBOX_URL": f"http://127.0.0.1:{port}"}
    with serve_inbox(env, port, tmp_path / "inbox.log") as base:
        yield Site(env, base, None)


def _decide(client, task_id: int, **form) -> object:
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200, page.text
    return client.post(f"/tasks/{task_id}/decide",
                       data={"csrf_token": CSRF.search(page.text).group(1), **form})


def _task(step: str, number: str) -> int:
    from models import ApprovalTask
    from models.db import session_scope

    with session_scope() as session:
        return next(t.id for t in session.query(ApprovalTask).filter_by(case_number=number)
                    if t.step == step)


def test_a_section_chief_pre_grades_in_the_inbox_with_the_table_beside(site, assessment):  # noqa: F811
    from tasks.tier.case import assessment_view

    task_id = _task("pregrade:li.east", assessment)
    chief = site.login("li.east")
    page = chief.get(f"/tasks/{task_id}").text
    assert 'id="case-text"' in page and "华东酒业" in page and "华东片区" in page
    assert 'name="overrides"' in page and 'name="attendees"' not in page
    assert "已办结" in page                     # a pre-grade is handed in, not "agreed"

    refused = _decide(chief, task_id, decision="approve", overrides="华南商贸=A:不是我的片区")
    assert refused.status_code == 409 and "not a customer of this territory" in refused.text
    done = _decide(chief, task_id, decision="approve", overrides="华东酒业=A:新品铺货积极\n")
    assert done.status_code == 303
    assert assessment_view(assessment)["pregrades"]["华东酒业"] == {
        "grade": "A", "reason": "新品铺货积极", "by": "li.east"}


def test_the_meeting_decides_in_the_inbox_and_names_its_attendees(site, assessment):  # noqa: F811
    from policy.load import load_policy
    from tasks.tier.case import request_meeting

    request_meeting(load_policy(), assessment, None)
    task_id = _task("meeting", assessment)
    convener = site.login("ma.promo")
    page = convener.get(f"/tasks/{task_id}").text
    assert 'name="attendees"' in page and "马科长" in page and 'id="case-text"' in page
    refused = _decide(convener, task_id, decision="approve")
    assert refused.status_code == 409 and "attendees" in refused.text
    done = _decide(convener, task_id, decision="approve", attendees=["ma.promo", "he.sales"],
                   a_support_plan="每季度走访", overrides="华南商贸=B:会议复评")
    assert done.status_code == 303
    from models import ApprovalTask
    from models.db import session_scope

    with session_scope() as session:
        data = session.get(ApprovalTask, task_id).decision_data
    assert data["attendees"] == ["ma.promo", "he.sales"] and data["a_support_plan"] == "每季度走访"
    assert data["overrides"] == {"华南商贸": {"grade": "B", "reason": "会议复评"}}


def test_the_leader_decides_a_new_customer_override_with_the_project_beside(site):
    from policy.load import load_policy
    from tasks.new_customer import case

    policy = load_policy()
    number = case.apply_prospect(policy, name="小型铸造厂", product_line="equipment",
                                 expected_annual_revenue="200000", owner="zheng.sales").number
    task_id = case.request_override(policy, number)
    leader = site.login("wang.gm")
    page = leader.get(f"/tasks/{task_id}").text
    card = page.split('<pre id="case-text">', 1)[1].split("</pre>", 1)[0]
    assert "小型铸造厂" in card and "设备" in card and "郑业务（业务员）" in card
    assert "预计年新增业务量低于该产品线的立项标准" in card and "zheng.sales" not in card
    assert re.search(r'<option value="approve">同意</option>', page)
    assert _decide(leader, task_id, decision="approve", comment="战略客户").status_code == 303
    from models import ApprovalTask
    from models.db import session_scope

    with session_scope() as session:
        assert session.get(ApprovalTask, task_id).decision == "approve"
