"""Bad input to ``kefu callback`` gets one line naming the field, exit 2, and writes nothing."""

from __future__ import annotations

import sqlite3

TABLES = ("callbacks", "approval_tasks", "clocks", "case_events", "notifications")


def _counts(kefu) -> dict[str, int]:
    path = kefu.env["KEFU_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def test_bad_callback_input_is_one_line_naming_the_field_and_writes_nothing(offline_kefu):
    before = _counts(offline_kefu)
    for args, words in (
        (("record", "HF-2026-000001", "--outcome", "maybe"),
         "--outcome: 'maybe' is not one of satisfied, dissatisfied"),
        (("record", "HF-2026-000009", "--outcome", "satisfied"), "callback HF-2026-000009 does not exist"),
        (("report", "--month", "2026-13"), "--month: '2026-13' is not a month"),
        (("list", "--kind", "visit"), "--kind: 'visit' is not one of complaint, repair, activity"),
        (("list", "--status", "done"), "--status: 'done' is not one of"),
    ):
        done = offline_kefu.run("callback", *args, check=False)
        assert done.returncode == 2, done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("error: ") and words in line, line
    assert _counts(offline_kefu) == before
