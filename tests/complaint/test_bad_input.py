"""Bad input gets a clear one-line error naming the field, a non-zero exit, and writes nothing."""

from __future__ import annotations

import sqlite3

import pytest

GOOD = {"channel": "phone", "customer": "李四", "phone": "13900000000", "content": "酒味不对"}


def _counts(kefu) -> dict[str, int]:
    path = kefu.env["KEFU_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("complaints", "customers", "clocks", "case_events", "notifications",
                          "approval_tasks")}


def _file(kefu, **fields):
    args = ["complaint", "file"]
    for key, value in fields.items():
        if value is not None:
            args += [f"--{key.replace('_', '-')}", value]
    return kefu.run(*args, check=False)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"phone": None}, "--phone", "Missing option"),
    ({"phone": "   "}, "--phone", "required"),
    ({"phone": "call me"}, "--phone", "not a phone number"),
    ({"content": "  "}, "--content", "empty"),
    ({"channel": "pigeon"}, "--channel", "not one of"),
    ({"customer": ""}, "--customer", "required"),
    ({"shipped_on": "2026-13-45"}, "--shipped-on", "not a date"),
    ({"shipped_on": "yesterday"}, "--shipped-on", "not a date"),
    ({"email": "nobody"}, "--email", "not an e-mail"),
])
def test_a_malformed_complaint_is_rejected_naming_the_field(offline_kefu, change, field, words):
    before = _counts(offline_kefu)
    done = _file(offline_kefu, **{**GOOD, **change})
    assert done.returncode == 2
    assert field in done.stderr and words in done.stderr, done.stderr
    assert _counts(offline_kefu) == before


def test_a_complaint_filed_while_prefect_is_down_is_kept_with_a_warning(offline_kefu):
    done = _file(offline_kefu, **GOOD)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("TS-")
    assert "starts when Prefect is back" in done.stderr
    assert _counts(offline_kefu)["complaints"] == 1
    view = offline_kefu.show(done.stdout.strip())
    assert view["status"] == "received" and view["flow_run_id"] is None
    assert view["due"]["register"] is not None


def test_unknown_approval_and_unknown_complaint_are_clear_errors(offline_kefu):
    before = _counts(offline_kefu)
    done = offline_kefu.run("approvals", "decide", "42", "--as", "chen.qe", "--decision",
                            "approve", check=False)
    assert done.returncode == 2 and "approval task 42 does not exist" in done.stderr
    shown = offline_kefu.run("complaint", "show", "TS-2026-999999", check=False)
    assert shown.returncode == 2 and "TS-2026-999999 does not exist" in shown.stderr
    bad_clock = offline_kefu.run("complaint", "list", now="next tuesday", check=False)
    assert bad_clock.returncode == 2 and "KEFU_NOW" in bad_clock.stderr
    assert _counts(offline_kefu) == before


def test_an_invalid_policy_names_the_key(offline_kefu, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: " + str(__import__("policy.load").load.DEFAULT_POLICY) +
                   "\ncomplaint:\n  deadlines:\n    handling: 3 fortnights\n", encoding="utf-8")
    offline_kefu.env["KEFU_POLICY"] = str(bad)
    before = _counts(offline_kefu)
    done = _file(offline_kefu, **GOOD)
    assert done.returncode == 2
    assert _counts(offline_kefu) == before
    assert "complaint.deadlines.handling" in done.stderr and "3 fortnights" in done.stderr


@pytest.mark.parametrize("poll", ["soon", "0", "-1", "600"])
def test_a_bad_worker_poll_interval_stops_the_worker_naming_the_setting(offline_kefu, poll):
    offline_kefu.env["KEFU_WORKER_POLL"] = poll
    done = offline_kefu.run("worker", check=False)
    assert done.returncode != 0
    assert f"KEFU_WORKER_POLL: expected seconds between 0 and 60, got {poll!r}" in done.stderr
    assert "Traceback" not in done.stderr


def test_report_prints_a_table_json_and_csv(offline_kefu):
    assert _file(offline_kefu, **GOOD).returncode == 0
    table = offline_kefu.run("report", "weekly").stdout
    assert "Complaints" in table and "total" in table
    data = offline_kefu.json("report", "monthly")
    assert data["period"] == "monthly" and data["total"] == 1
    assert data["by_category"] == {"unclassified": 1}           # no flow ran: not yet classified
    lines = offline_kefu.run("report", "weekly", "--csv").stdout.splitlines()
    # UTF-8 with a BOM (tasks/tables.py), so Excel on Chinese Windows opens the file as written.
    assert lines[0] == "\ufeffsection,key,value" and "summary,total,1" in lines
    wrong = offline_kefu.run("report", "daily", check=False)
    assert wrong.returncode == 2 and "daily" in wrong.stderr


def test_an_unreachable_database_is_one_clear_line(offline_kefu):
    from conftest import free_port

    offline_kefu.env["KEFU_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"
    done = offline_kefu.run("complaint", "list", check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: database:") and "Traceback" not in done.stderr
