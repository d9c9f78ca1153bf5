"""A yearly satisfaction survey on a real Prefect server with the real worker and real mail to
a real SMTP server, time moving with KEFU_NOW: the organiser enters the answers (a GB18030 CSV
as Excel on Chinese Windows saves it), service quality is below the 90% target, so corrective
actions open; the owner misses the plan's deadline and the sweep escalates it by mail; the plan
is approved; the check of its effect opens on the plan's due date and finds it effective."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from conftest import wait_for

T0 = datetime.fromisoformat("2026-11-23T10:00:00+08:00")  # a Monday
NUMBER = "MY-2026"


def day(n: float) -> str:
    return (T0 + timedelta(days=n)).isoformat()


def pending(kefu, step: str, status: str = "pending") -> dict:
    """Wait (in the database: a `kefu` process per poll would starve the worker) for the flow
    to ask; what users see is then read with `kefu survey show`."""
    wait_for(lambda: kefu._peek(
        "SELECT count(*) FROM approval_tasks WHERE case_number = :n AND step = :s"
        " AND status = :t", n=NUMBER, s=step, t=status), timeout=90,
        what=f"a {status} {step} task on {NUMBER}")
    return next(a for a in kefu.json("survey", "show", NUMBER)["approvals"]
                if a["step"] == step and a["status"] == status)


def mail(mailbox, who: str, words: str) -> list[dict]:
    return [m for m in mailbox.to(f"{who}@distillery.example")
            if NUMBER in m["subject"] and words in m["subject"]]


def answers_csv(path) -> str:
    """Ten questionnaires: service quality 8 of 10 satisfied (80%), price and the company 9 of
    10 (90%: the target met exactly), saved as Excel's "CSV (逗号分隔)" does, in GB18030."""
    service = [5, 5, 4, 4, 4, 4, 4, 4, 3, 2]
    other = [5, 5, 5, 4, 4, 4, 4, 4, 4, 1]
    rows = ["客户,服务质量,套餐价格,公司评价,备注"]
    rows += [f"客户{i},{s},{o},{o},无" for i, (s, o) in enumerate(zip(service, other, strict=True))]
    path.write_bytes("\r\n".join(rows).encode("gb18030"))
    return str(path)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_survey_below_target_runs_its_corrective_actions_to_an_effective_check(
        kefu, mailbox, tmp_path):
    assert kefu.json("survey", "start", "--year", "2026", now=day(0))["number"] == NUMBER
    results = pending(kefu, "survey_results")
    assert results["assignee"] == "sun.admin" and results["decisions"] == ["approve"]
    assert wait_for(lambda: mail(mailbox, "sun.admin", "【待办】"), what="the organiser's to-do")

    # A bad cell: one line naming its row and column, exit 2, nothing recorded.
    bad = tmp_path / "bad.csv"
    bad.write_bytes("客户,服务质量\n甲,5\n乙,六\n".encode("gb18030"))
    done = kefu.run("survey", "import", str(bad), "--round", NUMBER, "--as", "sun.admin",
                    now=day(1), check=False)
    assert done.returncode == 2 and "row 3, column service" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert kefu.json("survey", "show", NUMBER)["responses"] is None

    imported = kefu.json("survey", "import", answers_csv(tmp_path / "answers.csv"), "--round",
                         NUMBER, "--as", "sun.admin", now=day(2))
    assert imported["below_target"] == ["service"] and imported["responses"] == 10
    assert imported["results"]["service"]["rate"] == 80.0
    assert imported["results"]["price"]["rate"] == 90.0

    # Corrective actions: the owner's plan is due 5 working days after the results (12-02).
    plan = pending(kefu, "capa_plan")
    assert plan["assignee"] == "sun.admin" and plan["due_at"].startswith("2026-12-02")
    missing = kefu.run("survey", "plan", NUMBER, "--as", "sun.admin", "--plan", " ", now=day(3),
                       check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("error: --plan:")

    # Missed: the sweep tells the owner and the superior (营销总监).
    kefu.run("escalations", "run", now=day(10))
    for who in ("sun.admin", "zhao.director"):
        assert wait_for(lambda who=who: mail(mailbox, who, "逾期"), what=f"{who}'s escalation")
    escalation = mail(mailbox, "zhao.director", "逾期")[0]
    assert "制定纠正预防措施计划" in escalation["subject"] and "孙主任" in escalation["body"]

    kefu.run("survey", "plan", NUMBER, "--as", "sun.admin", "--plan",
             "送货服务培训；投诉电话24小时内回电", "--due", "2026-12-18", now=day(10.1))
    approval = pending(kefu, "capa_approval")
    assert approval["assignee"] == "zhao.director"
    kefu.run("approvals", "decide", str(approval["id"]), "--as", "zhao.director", "--decision",
             "approve", "--comment", "同意", now=day(11))

    # The check of effect is asked ahead and opens on the plan's due date, not before.
    check = pending(kefu, "capa_check", status="scheduled")
    assert check["opens_at"].startswith("2026-12-18T10:00")  # 18:00 Beijing
    kefu.run("escalations", "run", now=day(26))  # 12-19
    assert wait_for(lambda: mail(mailbox, "zhao.director", "验证纠正预防措施的效果"),
                    what="the effect check's mail")
    check = pending(kefu, "capa_check")
    kefu.run("approvals", "decide", str(check["id"]), "--as", "zhao.director", "--decision",
             "approve", "--comment", "回访满意度已达 95%", now=day(27))

    wait_for(lambda: kefu._peek("SELECT count(*) FROM survey_rounds WHERE number = :n AND "
                                "status = 'closed'", n=NUMBER), what="the round to close")
    view = kefu.json("survey", "show", NUMBER)
    assert [(c["round"], c["status"], c["effective"]) for c in view["capa"]] == [(1, "effective", True)]
    assert view["capa"][0]["plan"] == "送货服务培训；投诉电话24小时内回电"
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json())
                   ["state_type"] == "COMPLETED" and r, what="the round's run to complete")
    assert run["name"] == "survey 2026" and "process:survey" in run["tags"]
    text = kefu.run("survey", "show", NUMBER).stdout
    assert "服务质量（未达标）" in text and "验证有效" in text
