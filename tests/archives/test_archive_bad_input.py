"""Bad input to ``kefu archives`` is one line naming the field, exit 2, and writes nothing;
a destruction refused at any of its three approvals leaves the record readable. Without a
Prefect server: the steps are the flow's own, called as plain functions."""

from __future__ import annotations

import sqlite3

import pytest

from tests.archives.test_archive_confidentiality import CONTENT, _archived_complaint

TABLES = ("archive_requests", "secrecy_marks", "approval_tasks", "clocks", "audit_log",
          "notifications")
NUMBER = "TS-2026-000555"


def _counts(kefu) -> dict[str, int]:
    path = kefu.env["KEFU_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


@pytest.fixture()
def archived(offline_kefu, monkeypatch):
    for key in ("KEFU_DATA_DIR", "KEFU_DATABASE_URL"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    _archived_complaint(NUMBER)
    return offline_kefu


def test_bad_requests_marks_and_returns_are_one_line_and_write_nothing(archived):
    kefu = archived
    before = _counts(kefu)
    for args, words in (
        (("request", NUMBER, "--as", "nobody", "--reason", "复核"), "--as: unknown person 'nobody'"),
        (("request", NUMBER, "--as", "chen.qe", "--reason", "  "), "--reason: say why"),
        (("request", "TS-2026-999999", "--as", "chen.qe", "--reason", "复核"),
         "--record: no archived complaint 'TS-2026-999999'"),
        (("request", NUMBER, "--kind", "contract", "--as", "chen.qe", "--reason", "复核"),
         "--kind: 'contract' is not one of complaint, customer"),
        (("request", NUMBER, "--as", "wang.gm", "--reason", "复核"),
         "--as: wang.gm reads every record without a loan"),
        (("mark", NUMBER, "--level", "public", "--as", "liu.quality"),
         "--level: 'public' is not one of secret, confidential, top_secret"),
        (("mark", NUMBER, "--level", "confidential", "--as", "zheng.sales"),
         "--as: zheng.sales may not mark"),
        (("destroy", NUMBER, "--as", "chen.qe", "--reason", ""), "--reason: say why"),
        (("return", "DA-2026-000001", "--as", "chen.qe"), "archive request DA-2026-000001 does not exist"),
    ):
        done = kefu.run("archives", *args, check=False)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("error: ") and words in line, line
    assert _counts(kefu) == before


def test_a_destruction_refused_at_the_second_approval_leaves_the_record(archived):
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.approvals import decide
    from tasks.archives import case

    policy = load_policy()
    number = case.file_request(policy, kind="destroy", record_kind="complaint", record_key=NUMBER,
                               requester="chen.qe", reason="保管期满").number
    first = case.request_destruction_step(policy, number, 0)
    with session_scope() as session:
        decide(session, policy, first, actor="sun.admin", decision="approve")
    assert case.apply_destruction_step(policy, number, 0, first) == "next"
    second = case.request_destruction_step(policy, number, 1)
    with session_scope() as session:
        decide(session, policy, second, actor="zhao.director", decision="reject", comment="仍需保存")
    assert case.apply_destruction_step(policy, number, 1, second) == "refused"
    assert case.request_view(number)["status"] == "refused"
    shown = archived.run("complaint", "show", NUMBER, "--json")        # 秘密: not guarded
    assert CONTENT in shown.stdout


def test_a_confidential_customer_record_is_refused_in_the_cli_without_a_reader(archived):
    kefu = archived
    customer = "机密经销商"     # the archived complaint's customer
    kefu.run("archives", "mark", customer, "--kind", "customer", "--level", "confidential",
             "--as", "he.sales")
    for args in ((), ("--as", "chen.qe")):
        done = kefu.run("customers", "show", customer, *args, check=False)
        assert done.returncode == 2 and "13900000000" not in done.stdout
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("error: --as:") and "confidential" in line
    # 000 D11 §4.1.3: the head of 销售部, which keeps the customer records, reads it.
    assert "13900000000" in kefu.run("customers", "show", customer, "--as", "he.sales").stdout
    from models import AuditEntry
    from models.db import session_scope

    with session_scope() as session:
        outcomes = [e.outcome for e in session.query(AuditEntry).filter_by(action="read_archive")]
    assert outcomes == ["refused", "refused", "ok"]
