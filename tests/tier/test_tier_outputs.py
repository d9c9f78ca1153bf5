"""Issue 21 §10–11: what the tier assessment shows people. `kefu tiers show` has each section
chief's pre-grade (grade, who, why) beside the proposal; it and the results workbook name
territories, people, statuses and the scoring method in words, not codes."""

from __future__ import annotations

import pytest

from tests.test_words_not_codes import codes_in

HEADER = "name,phone,territory,year,sales,growth,overdue_payments,cooperation"
ROWS = ["华东酒业,13900000001,east,2026,420,12,0,90", "安徽酒业,13900000004,east,2026,520,20,0,95",
        "华南商贸,13900000002,south,2026,80.5,-3,2,60"]


@pytest.fixture()
def assessment(offline_kefu, tmp_path, monkeypatch):
    """2027's assessment opened on imported figures and its pre-grades asked (no Prefect)."""
    from policy.load import load_policy
    from tasks.tier.case import open_assessment, request_pregrades

    path = tmp_path / "figures.csv"
    path.write_text("\n".join([HEADER, *ROWS]), encoding="utf-8")
    offline_kefu.run("customers", "import", str(path))
    for key in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    monkeypatch.setenv("KEFU_NOW", "2027-03-25T09:00:00+08:00")
    policy = load_policy()
    number = open_assessment(policy, 2027)
    request_pregrades(policy, number, None)
    return number


def _pregrade_task(kefu, chief: str) -> int:
    view = kefu.json("tiers", "show", "2027")
    return next(t["id"] for t in view["approvals"] if t["step"] == f"pregrade:{chief}")


def test_tiers_show_has_each_chiefs_pre_grade_with_who_and_why(offline_kefu, assessment):
    task_id = _pregrade_task(offline_kefu, "li.east")
    offline_kefu.run("tiers", "decide", str(task_id), "--as", "li.east",
                     "--override", "华东酒业=A:新品铺货积极", now="2027-03-26T10:00")

    view = offline_kefu.json("tiers", "show", "2027")
    assert view["pregrades"]["华东酒业"] == {"grade": "A", "reason": "新品铺货积极", "by": "li.east"}
    agreed = view["proposals"]["安徽酒业"]["proposed"]
    assert view["pregrades"]["安徽酒业"] == {"grade": agreed, "reason": "", "by": "li.east"}
    assert "华南商贸" not in view["pregrades"]            # 谢科长 has not handed in yet

    shown = offline_kefu.run("tiers", "show", "2027").stdout
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in shown.splitlines() if line.startswith("| ") and ("酒" in line or "商贸" in line)}
    assert "初评" in shown and "初评人" in shown
    assert rows["华东酒业"][0] == "华东片区"
    assert rows["华东酒业"][3:6] == ["A", "李科长（华东片区科长）", "新品铺货积极"]
    assert rows["安徽酒业"][3:5] == [agreed, "李科长（华东片区科长）"]
    assert rows["华南商贸"][3:5] == ["—", "—"]
    assert "片区初评中" in shown and "综合评分" in shown and "谢科长（华南片区科长）" in shown
    assert codes_in(shown) == []


def test_the_results_workbook_names_territories_and_people(offline_kefu, assessment):
    from openpyxl import load_workbook

    from models import ApprovalTask
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.tier.case import get, pregrade_overrides, write_workbook
    from tasks.tier.rules import final_grades

    task_id = _pregrade_task(offline_kefu, "li.east")
    offline_kefu.run("tiers", "decide", str(task_id), "--as", "li.east",
                     "--override", "华东酒业=A:新品铺货积极", now="2027-03-26T10:00")
    policy = load_policy()
    meeting = ApprovalTask(decided_by="ma.promo", decision_data={"attendees": ["ma.promo", "he.sales"]})
    with session_scope() as session:
        found = get(session, assessment)
        found.results = final_grades(found.proposals, pregrade_overrides(session, assessment), {})
        book = load_workbook(write_workbook(policy, found, meeting))
    graded = {r[0]: r for r in book["客户等级评定"].iter_rows(min_row=2, values_only=True)}
    assert graded["华东酒业"][1] == "华东片区" and graded["华南商贸"][1] == "华南片区"
    assert graded["华东酒业"][6:8] == ("片区初评", "李科长（华东片区科长）")
    assert graded["华南商贸"][6] == "评分建议"
    decided = dict(book["会议决定"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert decided["召集人"] == "马科长（促销科科长）"
    assert decided["出席"] == "马科长（促销科科长）、何部长（销售部长）"
    for sheet in book.worksheets:
        text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
        assert codes_in(text) == [], sheet.title
