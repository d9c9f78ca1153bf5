"""Bad input to ``kefu callback`` gets one line naming the field, exit 2, and writes nothing."""

from __future__ import annotations

import sqlite3
import subprocess

from conftest import KEFU, ROOT

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


def test_a_signed_callback_record_must_say_who_signed(offline_kefu):
    """001 Doc2 (policy/variants/callback-doc2.yaml): the 回访记录表 is signed by the customer,
    so a callback recorded without a note naming the signer is refused, nothing written."""
    before = _counts(offline_kefu)
    env = {**offline_kefu.env, "KEFU_POLICY": "callback-doc2"}
    done = subprocess.run([*KEFU, "callback", "record", "HF-2026-000001", "--outcome", "satisfied"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line == "error: --note: the 回访记录表 must say who signed it", line
    assert _counts(offline_kefu) == before
