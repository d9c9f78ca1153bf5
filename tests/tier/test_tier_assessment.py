"""The yearly 客户等级评定 (000 D7 §5.1) end to end over 200 imported customers, on the real
Prefect server and worker, with KEFU_NOW; and an A customer's complaint handled first."""

from __future__ import annotations

import json
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from conftest import wait_for

TERRITORIES = ("east", "south", "north")
OPENED = "2027-03-25T09:00"


def _figures_csv(path) -> str:
    rng = random.Random(2027)
    lines = ["name,phone,territory,year,sales,growth,overdue_payments,cooperation,grade"]
    for i in range(200):
        grade = "B" if i < 20 else ""
        lines.append(f"评定客户{i:03d},1360000{i:04d},{TERRITORIES[i % 3]},2026,"
                     f"{rng.randint(20, 600)},{rng.randint(-10, 40)},{rng.randint(0, 3)},"
                     f"{rng.randint(30, 100)},{grade}")
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


def _tasks(kefu, wanted: int) -> list[dict]:
    def found():
        tasks = kefu.json("tiers", "show", "2027")["approvals"]
        return tasks if len(tasks) >= wanted else None
    return wait_for(found, timeout=90, what=f"{wanted} tier assessment task(s)")


def test_yearly_assessment_pregrades_escalates_a_late_chief_meets_and_publishes(
        kefu, mailbox, tmp_path):
    kefu.run("customers", "import", _figures_csv(tmp_path / "figures-2026.csv"))
    # The worker may still be registering its deployments: the start is idempotent.
    wait_for(lambda: "flow run:" in kefu.run("tiers", "start", "--year", "2027", now=OPENED).stdout,
             what="the assessment's flow run to start")

    # One pre-grade per section chief, all at once, each with its territory's customers.
    pregrades = {t["assignee"]: t for t in _tasks(kefu, 3)}
    assert set(pregrades) == {"li.east", "xie.south", "tang.north"}
    assert {t["step"] for t in pregrades.values()} == {
        "pregrade:li.east", "pregrade:xie.south", "pregrade:tang.north"}
    due = datetime.fromisoformat(pregrades["li.east"]["due_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert due.isoformat() == "2027-03-30T18:00:00+08:00"  # 3 working days from Thursday 25th
    view = kefu.json("tiers", "show", "2027")
    assert view["customers"] == 200 and view["status"] == "pregrading"
    east = [n for n, p in view["proposals"].items() if p["territory"] == "east"]
    south = [n for n, p in view["proposals"].items() if p["territory"] == "south"]
    asked = wait_for(lambda: [m for m in mailbox.to("li.east@distillery.example")
                              if "客户等级初评 2027" in m["subject"]], what="the pre-grade mail")
    assert east[0] in asked[0]["body"] and south[0] not in asked[0]["body"]

    # A chief may only re-grade customers of their own territory, with a reason.
    refused = kefu.run("tiers", "decide", str(pregrades["li.east"]["id"]), "--as", "li.east",
                       "--override", f"{south[0]}=A:好客户", check=False, now="2027-03-26T10:00")
    assert refused.returncode == 2 and "--override" in refused.stderr
    refused = kefu.run("tiers", "decide", str(pregrades["li.east"]["id"]), "--as", "li.east",
                       "--override", f"{east[0]}=A", check=False, now="2027-03-26T10:00")
    assert refused.returncode == 2 and "reason" in refused.stderr
    kefu.run("tiers", "decide", str(pregrades["li.east"]["id"]), "--as", "li.east",
             "--override", f"{east[0]}=A:新品铺货积极", "--override", f"{east[1]}=C:回款拖延",
             now="2027-03-26T10:00")
    kefu.run("tiers", "decide", str(pregrades["xie.south"]["id"]), "--as", "xie.south",
             now="2027-03-29T10:00")

    # tang.north is late: the sweep escalates to him and his superior, 销售部长.
    swept = kefu.json("escalations", "run", now="2027-03-31T09:00")
    assert {(e["case"], e["level"]) for e in swept["escalated"]} >= {("DJ-2027", 1)}
    assert [e["notified"] for e in swept["escalated"] if e["case"] == "DJ-2027"] == [
        ["tang.north", "he.sales"]]
    late = [m for m in mailbox.to("he.sales@distillery.example")
            if "逾期升级" in m["subject"] and "DJ-2027" in m["subject"]]
    assert late and "客户等级评定" in late[0]["subject"] and "唐科长" in late[0]["body"]
    assert not [m for m in mailbox.messages if "逾期升级" in m["subject"] and "DJ-2027" in
                m["subject"] and {"li.east@distillery.example"} & set(m["to"])]
    kefu.run("tiers", "decide", str(pregrades["tang.north"]["id"]), "--as", "tang.north",
             now="2027-03-31T11:00")

    # 促销科 convenes the meeting with the whole table; it fixes the grades.
    meeting = wait_for(lambda: [t for t in kefu.json("tiers", "show", "2027")["approvals"]
                                if t["step"] == "meeting"], timeout=90, what="the meeting task")[0]
    assert meeting["assignee"] == "ma.promo"
    table = wait_for(lambda: [m for m in mailbox.to("ma.promo@distillery.example")
                              if "客户等级评定会议 2027" in m["subject"]], what="the meeting mail")
    assert all(f"评定客户{i:03d}" in table[0]["body"] for i in range(200))
    decision = {
        "overrides": {east[1]: {"grade": "B", "reason": "会议复评：已承诺四月前结清"},
                      south[0]: {"grade": "A", "reason": "会议复评：战略合作伙伴"}},
        "attendees": ["ma.promo", "he.sales", "li.east", "xie.south", "tang.north", "qian.finance"],
        "a_support_plan": "A类客户旺季优先排产，每季度走访一次",
        "special_policies": [{"customer": south[0], "policy": "年度返利2%"}],
        "credit_terms": [{"customer": east[0], "terms": "月结60天"}],
    }
    (tmp_path / "decision.json").write_text(json.dumps(decision, ensure_ascii=False), encoding="utf-8")
    kefu.run("tiers", "decide", str(meeting["id"]), "--as", "ma.promo",
             "--file", str(tmp_path / "decision.json"), now="2027-04-01T15:00")

    view = wait_for(lambda: (v := kefu.json("tiers", "show", "2027"))["status"] == "published" and v,
                    timeout=90, what="the results to be published")
    results = view["results"]
    assert len(results) == 200
    assert (results[east[0]]["grade"], results[east[0]]["source"], results[east[0]]["by"]) == (
        "A", "pregrade", "li.east")
    assert (results[east[1]]["grade"], results[east[1]]["by"]) == ("B", "ma.promo")
    assert (results[south[0]]["grade"], results[south[0]]["source"]) == ("A", "meeting")

    # Every grade change is in the customer's history: who, when, why.
    card = kefu.json("customers", "show", south[0])
    assert card["grade"] == "A"
    change = card["grade_history"][-1]
    assert (change["to"], change["by"], change["source"], change["case"]) == (
        "A", "ma.promo", "assessment", "DJ-2027")
    assert "战略合作伙伴" in change["reason"]

    _assert_workbook(view, results, south[0], east[0])
    published = wait_for(lambda: [m for m in mailbox.to("zheng.sales@distillery.example")
                                  if "2027 年度客户等级评定结果" in m["subject"]],
                         what="the results mail to sales")
    assert south[0] in published[0]["body"] and "每季度走访" in published[0]["body"]
    _assert_dashboard(kefu, view)


def _assert_workbook(view: dict, results: dict, promoted: str, credit: str) -> None:
    from openpyxl import load_workbook

    book = load_workbook(view["result_file"], read_only=True)
    rows = list(book["客户等级评定"].iter_rows(values_only=True))
    assert rows[0][:6] == ("客户", "片区", "原等级", "建议等级", "评分", "最终等级")
    assert len(rows) == 201
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name[promoted][5] == "A" and "战略合作伙伴" in by_name[promoted][8]
    a_list = [r[0] for r in list(book["A类客户"].iter_rows(values_only=True))[1:]]
    assert sorted(a_list) == sorted(n for n, r in results.items() if r["grade"] == "A")
    decided = dict(list(book["会议决定"].iter_rows(values_only=True))[1:3])
    assert decided["召集人"] == "马科长（促销科科长）" and "钱部长（财务部长）" in decided["出席"]
    terms = [r[1] for r in book["会议决定"].iter_rows(values_only=True) if r[0] == "资信及特别结算"]
    assert terms == [f"{credit}：月结60天"]


def _assert_dashboard(kefu, view: dict) -> None:
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json())
                   ["state_type"] == "COMPLETED" and r, what="the run to complete")
    assert run["name"] == "tier assessment 2027"
    assert "process:tier" in run["tags"]
    tables = httpx.post(f"{api}/artifacts/latest/filter", json={
        "artifacts": {"key": {"any_": ["tier-assessment-dj-2027-results"]}}, "limit": 1}).json()
    assert tables and tables[0]["type"] == "table"


def test_a_customers_complaint_is_handled_first_with_a_tighter_deadline(kefu, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,phone,territory,year,sales,growth,overdue_payments,cooperation,grade\n"
                    "甲级酒行,13511112222,east,2026,520,20,0,95,A\n"
                    "乙级酒行,13511113333,east,2026,120,5,1,70,B\n", encoding="utf-8")
    kefu.run("customers", "import", str(path))
    filed = "2026-11-24T10:00"  # Tuesday
    numbers = {}
    for name, phone in (("甲级酒行", "13511112222"), ("乙级酒行", "13511113333")):
        numbers[name] = kefu.json("complaint", "file", "--channel", "phone", "--customer", name,
                                  "--phone", phone, "--content", "酒的口感不对",
                                  "--email", f"c{phone}@customer.example", now=filed)["number"]
    first, other = kefu.show(numbers["甲级酒行"]), kefu.show(numbers["乙级酒行"])
    assert (first["priority"], other["priority"]) == ("A", None)
    local = ZoneInfo("Asia/Shanghai")
    assert datetime.fromisoformat(first["due"]["handling"]).astimezone(local).isoformat() == \
        "2026-11-25T18:00:00+08:00"  # 1 working day instead of 3
    assert datetime.fromisoformat(other["due"]["handling"]).astimezone(local).isoformat() == \
        "2026-11-27T18:00:00+08:00"
    kefu.pending(numbers["甲级酒行"], "handling")
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{kefu.show(numbers['甲级酒行'])['flow_run_id']}")
                            .json())["name"].endswith("quality") and r, what="the run to be named")
    assert "priority:A" in run["tags"]
