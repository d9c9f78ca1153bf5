"""Bad input to ``kefu visits`` gets one line naming the field, exit 2, and writes nothing."""

from __future__ import annotations

import sqlite3

TABLES = ("visit_plans", "planned_visits", "site_visit_requests", "approval_tasks", "clocks",
          "case_events", "notifications")
NOW = "2027-02-20T09:00:00+08:00"


def _counts(kefu) -> dict[str, int]:
    path = kefu.env["KEFU_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def test_bad_plans_reports_and_requests_write_nothing(offline_kefu):
    kefu = offline_kefu
    [number] = kefu.json("visits", "open", "--month", "2027-03", now=NOW)
    before = _counts(kefu)
    plan = ("visits", "plan", "--as", "zheng.sales", "--month", "2027-03")
    request = ("visits", "request", "--customer", "华东铸造厂", "--by", "zheng.sales")
    for args, words in (
        ((*plan[:2], "--as", "nobody", "--month", "2027-03", "--visit", "2027-03-05,甲厂"),
         "--as: 'nobody' is not a person"),
        ((*plan[:4], "--month", "2027-13", "--visit", "2027-03-05,甲厂"), "--month: '2027-13' is not a month"),
        ((*plan, "--visit", "2027-03-05,甲厂", "--visit", "2027-04-01,乙厂"),
         "--visit: 2027-04-01 is not in the plan's month 2027-03"),
        ((*plan, "--visit", "2027-03-05"), "--visit: '2027-03-05': write DATE,CUSTOMER"),
        ((*plan[:4], "--month", "2027-04", "--visit", "2027-04-05,甲厂"),
         "--month: no visit plan of zheng.sales for 2027-04 is asked"),
        (("visits", "report", f"{number}-09", "--note", "x"), f"--visit: no planned visit {number}-09"),
        (("visits", "report", f"{number}-01", "--note", " "), "--note: the report says what the visit found"),
        ((*request, "--kind", "vip", "--at", "2027-03-22 10:00"),
         "--kind: 'vip' is not one of key, group, ordinary, temporary"),
        ((*request, "--kind", "key", "--at", "next monday"), "--at: 'next monday' is not a time"),
        ((*request, "--kind", "key", "--at", "2027-02-22 10:00"),
         "--at: a key visit (重点客户参观) needs notice of 3 days: it had to be confirmed by 2027-02-19 10:00"),
        ((*request, "--kind", "ordinary", "--at", "2027-02-22 10:00", "--visitors", "0"),
         "--visitors: 0: at least one visitor"),
        (("visits", "request", "--customer", " ", "--by", "zheng.sales", "--kind", "key", "--at",
          "2027-03-22 10:00"), "--customer: the visiting customer's name is required"),
        (("visits", "request", "--customer", "甲厂", "--by", "nobody", "--kind", "key", "--at",
          "2027-03-22 10:00"), "--by: 'nobody' is not a person"),
    ):
        done = kefu.run(*args, check=False, now=NOW)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("warning:")]
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], (words, lines)
    assert _counts(kefu) == before
