"""`kefu complaint import`: a batch of complaints through one process; one bad line names its
line and field, exits 2, and files nothing."""

from __future__ import annotations

import json


def _lines(*rows: dict) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)


GOOD = {"channel": "phone", "customer": "王五", "phone": "13900000000", "content": "酒味不对"}


def test_a_batch_is_filed_in_one_process_and_one_bad_line_files_nothing(offline_kefu, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(_lines(GOOD, {**GOOD, "phone": "abc"}), encoding="utf-8")
    refused = offline_kefu.run("complaint", "import", str(batch), check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: line 2: --phone: 'abc' is not a phone number (digits, spaces, - and +)"]
    batch.write_text(_lines(GOOD, {**GOOD, "colour": "red"}), encoding="utf-8")
    unknown = offline_kefu.run("complaint", "import", str(batch), check=False)
    assert unknown.returncode == 2 and "line 2: unknown field colour" in unknown.stderr
    assert offline_kefu.json("complaint", "list") == []

    batch.write_text(_lines(GOOD, {**GOOD, "customer": "赵六", "email": "z@customer.example"},
                            {**GOOD, "important": True}), encoding="utf-8")
    done = offline_kefu.run("complaint", "import", str(batch), "--json")
    assert [r["number"] for r in json.loads(done.stdout)] == [
        "TS-2026-000001", "TS-2026-000002", "TS-2026-000003"]
    assert done.stderr.count("warning:") == 1                 # once, not once per complaint
    assert len(offline_kefu.json("complaint", "list")) == 3


def test_a_spreadsheet_of_complaints_names_the_bad_row_and_files_nothing(offline_kefu, tmp_path):
    table = tmp_path / "投诉.csv"
    table.write_text("channel,customer,phone,content,important\n"
                     "phone,王五,13900000000,酒味不对,否\n"
                     "\n"                                        # a blank row still counts
                     "phone,赵六,abc,瓶盖漏酒,是\n", encoding="gb18030")
    refused = offline_kefu.run("complaint", "import", str(table), check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: row 4: --phone: 'abc' is not a phone number (digits, spaces, - and +)"]
    table.write_text("channel,customer,phone,content,important\nphone,王五,13900000000,酒味不对,也许\n",
                     encoding="utf-8")
    refused = offline_kefu.run("complaint", "import", str(table), check=False)
    assert refused.returncode == 2 and "row 2: important: '也许' is not yes or no" in refused.stderr
    assert offline_kefu.json("complaint", "list") == []
