"""Importing customers' yearly figures (CSV and Excel): a bad file names its rows and
columns and imports nothing."""

from __future__ import annotations

import json

HEADER = "name,phone,territory,year,sales,growth,overdue_payments,cooperation"
GOOD = "华东甲,13900000001,east,2026,420,12,0,90"


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return str(path)


def _nothing_imported(kefu) -> None:
    done = kefu.run("customers", "show", "华东甲", check=False)
    assert done.returncode == 2 and "no customer named" in done.stderr


def test_bad_files_name_row_and_column_and_import_nothing(offline_kefu, tmp_path):
    cases = {
        "missing.csv": ("name,phone,territory,year,sales\n华东甲,1390,east,2026,1\n",
                        ["row 1: missing column(s) growth, overdue_payments, cooperation"]),
        "text.csv": (f"{HEADER}\n{GOOD}\n华南乙,13900000002,south,2026,十万,5,x,50\n",
                     ["row 3, column sales: '十万' is not a number",
                      "row 3, column overdue_payments: 'x' is not a whole number"]),
        "duplicate.csv": (f"{HEADER}\n{GOOD}\n华东甲,13900000001,east,2026,300,1,0,80\n",
                          ["row 3, column name: '华东甲' for 2026 already on row 2"]),
        "empty.csv": ("", ["the file is empty"]),
        "header_only.csv": (f"{HEADER}\n", ["header but no rows"]),
        "territory.csv": (f"{HEADER}\n{GOOD}\n西部丙,13900000003,west,2026,1,1,0,50\n",
                          ["row 3, column territory: 'west' has no section chief"]),
    }
    for name, (text, messages) in cases.items():
        done = offline_kefu.run("customers", "import", _write(tmp_path / name, text), check=False)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        for message in messages:
            assert message in done.stderr, (name, done.stderr)
        assert "nothing imported" in done.stderr or "row 1" in done.stderr or "FILE" in done.stderr
        _nothing_imported(offline_kefu)


def test_excel_file_imports_with_figures_and_a_grade_history(offline_kefu, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append([*HEADER.split(","), "grade"])
    book.active.append(["华东甲", "13900000001", "east", 2026, 420, 12, 0, 90, "A"])
    book.active.append(["华北丁", "13900000004", "north", 2026, 80.5, -3, 2, 60, None])
    book.save(tmp_path / "figures.xlsx")
    counts = offline_kefu.json("customers", "import", str(tmp_path / "figures.xlsx"))
    assert counts == {"customers": 2, "new_customers": 2, "figures": 2}
    card = offline_kefu.json("customers", "show", "华东甲")
    assert (card["grade"], card["territory"]) == ("A", "east")
    assert card["figures"] == [{"year": 2026, "sales": 420.0, "growth": 12.0, "overdue_payments": 0,
                                "cooperation": 90.0, "profit": None}]
    assert [(c["from"], c["to"], c["by"], c["source"]) for c in card["grade_history"]] == [
        (None, "A", "import", "import")]
    # A large file shows a progress bar (on stderr) and re-importing a year replaces its figures.
    rows = [HEADER] + [f"客户{i:04d},1370000{i:04d},south,2026,{i},1,0,50" for i in range(300)]
    done = offline_kefu.run("customers", "import", _write(tmp_path / "big.csv", "\n".join(rows)))
    assert "checking" in done.stderr and "300 row(s)" in done.stdout
    again = offline_kefu.run("customers", "import", _write(tmp_path / "big.csv", "\n".join(rows)),
                             "--json")
    assert json.loads(again.stdout)["new_customers"] == 0


def test_growth_takes_a_percent_sign_and_a_phone_must_be_a_phone_number(offline_kefu, tmp_path):
    # The help says growth is a percent: "12%" is 12, as Excel's CSV writes a percent cell;
    # a thousands separator (1,234.5, quoted in CSV) is the number.
    good = f'{HEADER}\n华东甲,13900000001,east,2026,"1,234.5",12%,0,90\n'
    assert offline_kefu.json("customers", "import", _write(tmp_path / "percent.csv", good))["figures"] == 1
    figures = offline_kefu.json("customers", "show", "华东甲")["figures"][0]
    assert (figures["sales"], figures["growth"]) == (1234.5, 12.0)

    bad = f"{HEADER}\n华南乙,abc,south,2026,1,1,0,50\n华北丙,13900000003,north,2026,1,1,0,90%\n"
    done = offline_kefu.run("customers", "import", _write(tmp_path / "phone.csv", bad), check=False)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "row 2, column phone: 'abc' is not a phone number (digits, spaces, - and +)" in done.stderr
    # cooperation is a 0–100 score, not a percent: "90%" is refused, naming the column.
    assert "row 3, column cooperation: '90%' is not a number" in done.stderr
    refused = offline_kefu.run("customers", "show", "华北丙", check=False)
    assert refused.returncode == 2
