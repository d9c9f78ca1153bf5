"""Over-limit shipments on a real Prefect server with the real worker and real mail to a real
SMTP server, time moving with KEFU_NOW; on SQLite and on PostgreSQL. The limit is the payments
of the 30 days before the shipment day; an excess below a third of it is signed by the
customer's regional manager (华东片区科长), a third or more by the next level (销售部长), whose
missed deadline the sweep escalates by mail; each decision stays on the customer."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import wait_for

T0 = datetime.fromisoformat("2026-11-23T10:00:00+08:00")  # a Monday
CUSTOMER = "某酒行"


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def mail(mailbox, who: str, words: str, number: str) -> list[dict]:
    return [m for m in mailbox.to(f"{who}@distillery.example")
            if number in m["subject"] and words in m["subject"]]


def requests(kefu) -> int:
    return kefu._peek("SELECT count(*) FROM credit_requests")


def pending_task(kefu, number: str) -> dict:
    wait_for(lambda: kefu._peek("SELECT count(*) FROM approval_tasks WHERE case_number = :n AND "
                                "status = 'pending'", n=number), timeout=90,
             what=f"{number}'s signature task")
    return next(a for a in kefu.json("credit", "show", number)["approvals"]
                if a["status"] == "pending")


def settled(kefu, number: str, status: str) -> dict:
    wait_for(lambda: kefu._peek("SELECT count(*) FROM credit_requests WHERE number = :n AND "
                                "status = :s", n=number, s=status), timeout=90,
             what=f"{number} to be {status}")
    return kefu.json("credit", "show", number)


def test_over_limit_shipments_are_signed_by_the_level_their_excess_needs(kefu, mailbox, tmp_path):
    figures = tmp_path / "customers.csv"
    figures.write_text("name,phone,territory,year,sales,growth,overdue_payments,cooperation\n"
                       f"{CUSTOMER},021-55550001,east,2025,320,12,0,80\n", encoding="utf-8")
    kefu.run("customers", "import", str(figures))
    # 10-23 is 31 days before the shipment day: outside the limit; 10-24 is the 30th day.
    for amount, paid_on in (("5000", "2026-10-23"), ("6000", "2026-10-24"), ("3000", "2026-11-22")):
        kefu.run("credit", "payment", "--customer", CUSTOMER, "--amount", amount, "--paid-on",
                 paid_on, now=at(0))
    assert kefu.json("credit", "customer", CUSTOMER, now=at(0))["credit_limit"] == "9000.00"

    # Bad input: one line naming the field, exit 2, no request written.
    before = requests(kefu)
    for args, field in ((("--customer", CUSTOMER, "--amount", "abc"), "--amount"),
                        (("--customer", "无此客户", "--amount", "100"), "--customer"),
                        (("--customer", CUSTOMER, "--amount", "100", "--ship-on", "12/01"),
                         "--ship-on")):
        done = kefu.run("credit", "ship", *args, "--as", "zheng.sales", now=at(0), check=False)
        assert done.returncode == 2 and done.stderr.startswith(f"error: {field}:"), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert requests(kefu) == before

    within = kefu.json("credit", "ship", "--customer", CUSTOMER, "--amount", "9000", "--as",
                       "zheng.sales", now=at(0))
    assert within["status"] == "within_limit" and within["flow_run_id"] is None

    # Over by 2999.99 (< 9000/3): the regional manager signs.
    small = kefu.json("credit", "ship", "--customer", CUSTOMER, "--amount", "11999.99", "--as",
                      "zheng.sales", now=at(0.1))
    assert (small["level"], small["approver"], small["excess"]) == (1, "li.east", "2999.99")
    task = pending_task(kefu, small["number"])
    assert task["assignee"] == "li.east"
    asked = wait_for(lambda: mail(mailbox, "li.east", "超授信额发货", small["number"]),
                     what="the regional manager's mail")
    assert "9000.00" in asked[0]["body"]
    kefu.run("approvals", "decide", str(task["id"]), "--as", "li.east", "--decision", "approve",
             "--comment", "月底前回款", now=at(1))
    assert settled(kefu, small["number"], "approved")["decided_by"] == "li.east"
    assert wait_for(lambda: mail(mailbox, "zheng.sales", "同意", small["number"]),
                    what="the requester's mail")

    # Over by exactly a third: the next level (销售部长); not signed in time → escalated.
    large = kefu.json("credit", "ship", "--customer", CUSTOMER, "--amount", "12000", "--as",
                      "zheng.sales", now=at(2))
    assert (large["level"], large["approver"]) == (2, "he.sales")
    task = pending_task(kefu, large["number"])
    assert task["due_at"].startswith("2026-11-24T10:00")  # 1 working day: 11-24 18:00 Beijing
    kefu.run("escalations", "run", now=at(24))            # 11-24 10:00: not yet due
    assert not mail(mailbox, "wang.gm", "逾期", large["number"])
    kefu.run("escalations", "run", now=at(48))            # 11-25 10:00: overdue
    for who in ("he.sales", "wang.gm"):
        assert wait_for(lambda who=who: mail(mailbox, who, "逾期", large["number"]),
                        what=f"{who}'s escalation")
    kefu.run("approvals", "decide", str(task["id"]), "--as", "he.sales", "--decision", "reject",
             "--comment", "先汇款后发货", now=at(49))
    settled(kefu, large["number"], "rejected")

    # Every decision stays on the customer.
    decisions = kefu.json("credit", "customer", CUSTOMER, now=at(50))["decisions"]
    assert [(d["status"], d["decided_by"]) for d in decisions] == [
        ("within_limit", "policy"), ("approved", "li.east"), ("rejected", "he.sales")]


def test_payments_import_from_a_gb18030_file_or_not_at_all(offline_kefu, tmp_path):
    kefu = offline_kefu
    figures = tmp_path / "customers.csv"
    figures.write_text("name,phone,territory,year,sales,growth,overdue_payments,cooperation\n"
                       "华南酒行,020-55550002,south,2025,120,5,0,70\n", encoding="utf-8")
    kefu.run("customers", "import", str(figures))
    bad = tmp_path / "bad.csv"
    bad.write_bytes("客户,金额,日期\n华南酒行,1000,2026-11-01\n华南酒行,一千,2026-11-02\n"
                    .encode("gb18030"))
    done = kefu.run("credit", "import", str(bad), now=at(0), check=False)
    assert done.returncode == 2 and "row 3, column amount" in done.stderr
    assert kefu.json("credit", "customer", "华南酒行", now=at(0))["credit_limit"] == "0"
    good = tmp_path / "good.csv"
    good.write_bytes("客户,金额,日期\n华南酒行,\"1,000\",2026-11-01\n华南酒行,500.5,2026-11-02\n"
                     .encode("gb18030"))
    assert kefu.json("credit", "import", str(good), now=at(0))["payments"] == 2
    assert kefu.json("credit", "customer", "华南酒行", now=at(0))["credit_limit"] == "1500.50"
