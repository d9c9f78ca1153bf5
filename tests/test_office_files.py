"""Files as Chinese offices save them (issue 16 §4, issue 21 §11): Excel on Chinese Windows
saves "CSV (逗号分隔)" in GB18030, "CSV UTF-8" with a byte-order mark, and .xlsx; every import
reads them all through the real `kefu` command, a file in a broken encoding is one line naming
its row, and what kefu writes opens in that Excel (CSV with a BOM; a readable workbook)."""

from __future__ import annotations

import codecs
import json

import pytest

HEADER = "name,phone,territory,year,sales,growth,overdue_payments,cooperation"
ROWS = ["华东酒业,13900000001,east,2026,420,12,0,90", "华南商贸,13900000002,south,2026,80.5,-3,2,60"]


def _csv(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def _card(kefu, name: str) -> dict:
    return kefu.json("customers", "show", name)


def test_csv_from_excel_on_chinese_windows_imports_in_gb18030_and_utf8_with_bom(offline_kefu, tmp_path):
    text = "\r\n".join([HEADER, *ROWS]) + "\r\n"          # Excel ends lines with CRLF
    gb = offline_kefu.json("customers", "import", _csv(tmp_path / "客户.csv", text.encode("gb18030")))
    assert gb == {"customers": 2, "new_customers": 2, "figures": 2}
    card = _card(offline_kefu, "华东酒业")
    assert (card["name"], card["phone"], card["territory"]) == ("华东酒业", "13900000001", "east")

    # The same table saved as "CSV UTF-8 (逗号分隔)": the same two customers, not two new ones
    # (the BOM must not become part of the first column's name).
    bom = offline_kefu.json("customers", "import",
                            _csv(tmp_path / "utf8.csv", codecs.BOM_UTF8 + text.encode("utf-8")))
    assert bom == {"customers": 2, "new_customers": 0, "figures": 2}
    assert _card(offline_kefu, "华南商贸")["figures"][0]["sales"] == 80.5


def test_a_file_in_a_broken_encoding_is_one_line_naming_its_row_and_imports_nothing(
        offline_kefu, tmp_path):
    broken = "\n".join([HEADER, *ROWS]).encode("gb18030") + b"\n\xff\xfe\xff,1,east,2026,1,1,0,1\n"
    done = offline_kefu.run("customers", "import", _csv(tmp_path / "broken.csv", broken), check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'error: FILE: broken.csv, row 4: 0xff cannot be read (the file is neither UTF-8 nor '
        'GB18030/GBK); save it as "CSV UTF-8 (逗号分隔)" or "CSV (逗号分隔)" and import it again']
    # A UTF-8 file with a row of another encoding pasted in is not read as GB18030 mojibake:
    # it names that row.
    pasted = "\n".join([HEADER, *ROWS]).encode("utf-8") + b"\n" + "华北酒行,1,north".encode("gb18030")
    done = offline_kefu.run("customers", "import", _csv(tmp_path / "pasted.csv", pasted), check=False)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "pasted.csv, row 4:" in done.stderr and "UTF-8 up to there" in done.stderr
    # Excel's "Unicode 文本" (UTF-16) is named as what it is.
    done = offline_kefu.run("customers", "import",
                            _csv(tmp_path / "unicode.csv", HEADER.encode("utf-16")), check=False)
    assert done.returncode == 2 and "UTF-16" in done.stderr
    missing = offline_kefu.run("customers", "show", "华东酒业", check=False)
    assert missing.returncode == 2 and "no customer named" in missing.stderr


def test_an_excel_workbook_imports_as_the_cells_show(offline_kefu, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    # Excel keeps a typed phone as a number, and a 12% cell as 0.12 formatted as a percent.
    sheet.append(["华东酒业", 13900000001, "east", 2026, 420, 0.12, 0, 90])
    sheet["F2"].number_format = "0%"
    book.save(tmp_path / "客户.xlsx")
    assert offline_kefu.json("customers", "import", str(tmp_path / "客户.xlsx"))["figures"] == 1
    card = _card(offline_kefu, "华东酒业")
    assert card["phone"] == "13900000001"
    assert card["figures"][0]["growth"] == 12.0

    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    done = offline_kefu.run("customers", "import", str(tmp_path / "old.xls"), check=False)
    assert done.returncode == 2 and "save it as" in done.stderr and ".xlsx" in done.stderr
    (tmp_path / "fake.xlsx").write_text("name,phone", encoding="utf-8")
    done = offline_kefu.run("customers", "import", str(tmp_path / "fake.xlsx"), check=False)
    assert done.returncode == 2 and "fake.xlsx: not an Excel workbook" in done.stderr


def test_complaints_import_from_gb18030_json_lines_and_from_a_spreadsheet(offline_kefu, tmp_path):
    complaint = {"channel": "phone", "customer": "华东酒业", "phone": "13900000000",
                 "content": "酒的口感不对"}
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_bytes(json.dumps(complaint, ensure_ascii=False).encode("gb18030") + b"\r\n")
    filed = offline_kefu.run("complaint", "import", str(jsonl), "--json")
    assert [r["number"] for r in json.loads(filed.stdout)] == ["TS-2026-000001"]
    table = ("channel,customer,phone,content,important\n"
             "phone,华南商贸,13900000002,瓶盖漏酒,是\n").encode("gb18030")
    filed = offline_kefu.run("complaint", "import", _csv(tmp_path / "投诉.csv", table), "--json")
    assert [r["number"] for r in json.loads(filed.stdout)] == ["TS-2026-000002"]
    cases = {c["customer"]: c for c in offline_kefu.json("complaint", "list")}
    assert set(cases) == {"华东酒业", "华南商贸"}
    assert offline_kefu.show("TS-2026-000002")["important"] is True

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(json.dumps(complaint, ensure_ascii=False).encode("utf-8") * 3 + b"\n\xff\n")
    done = offline_kefu.run("complaint", "import", str(bad), check=False)
    assert done.returncode == 2 and done.stderr.startswith("error: FILE: bad.jsonl, line 2: 0xff")
    assert len(done.stderr.strip().splitlines()) == 1
    assert len(offline_kefu.json("complaint", "list")) == 2


def test_the_weekly_report_as_csv_opens_in_excel_on_chinese_windows(offline_kefu, tmp_path):
    import subprocess

    from conftest import KEFU, ROOT

    out = subprocess.run([*KEFU, "report", "weekly", "--csv"], env=offline_kefu.env, cwd=ROOT,
                         capture_output=True, timeout=120, check=True).stdout
    assert out.startswith(codecs.BOM_UTF8 + b"section,key,value\r\n")
    assert out.decode("utf-8-sig").splitlines()[0] == "section,key,value"


def test_tier_results_workbook_is_sorted_by_pinyin_with_figures_and_the_customers_left_out(
        offline_kefu, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    rows = [HEADER,
            "中原酒行,13900000003,north,2026,300,5,1,70",
            "安徽酒业,13900000004,east,2026,520,20,0,95",
            "华南商贸,13900000002,south,2026,80.5,-3,2,60",
            "华东酒业,13900000001,east,2026,420,12%,0,90",
            "北方糖酒,13900000005,north,2025,100,1,0,50"]    # no 2026 figures: left out
    offline_kefu.run("customers", "import",
                     _csv(tmp_path / "figures.csv", "\n".join(rows).encode("gb18030")))
    for key in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    path = _publish_workbook(2027)

    book = load_workbook(path)
    graded = book["客户等级评定"]
    header = [c.value for c in graded[1]]
    assert header[:6] == ["客户", "片区", "原等级", "建议等级", "评分", "最终等级"]
    assert header[9:] == ["销售额（万元）", "增长率（%）", "逾期次数", "合作状况", "利润"]
    assert [r[0] for r in graded.iter_rows(min_row=2, values_only=True)] == [
        "安徽酒业", "华东酒业", "华南商贸", "中原酒行"]          # an, hua dong, hua nan, zhong
    huadong = next(r for r in graded.iter_rows(min_row=2, values_only=True) if r[0] == "华东酒业")
    assert huadong[9:13] == (420, 12, 0, 90)
    left_out = [r for r in book["未评定客户"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[4]) for r in left_out] == [("北方糖酒", "13900000005", "没有 2026 年数据")]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet["A1"].font.bold, sheet.title
    # A column is as wide as its longest cell, a Chinese character counting two.
    assert graded.column_dimensions["A"].width == pytest.approx(2 * len("安徽酒业") + 2)


def _publish_workbook(year: int) -> str:
    """Open the year's assessment on the imported figures and write its workbook as the meeting
    would publish it (no pre-grades, no overrides), without a Prefect server."""
    from models import ApprovalTask
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.tier.case import get, open_assessment, write_workbook
    from tasks.tier.rules import final_grades

    policy = load_policy()
    number = open_assessment(policy, year)
    meeting = ApprovalTask(decided_by="ma.promo", decision_data={"attendees": ["ma.promo"]})
    with session_scope() as session:
        assessment = get(session, number)
        assessment.results = final_grades(assessment.proposals, {}, {})
        return str(write_workbook(policy, assessment, meeting))
