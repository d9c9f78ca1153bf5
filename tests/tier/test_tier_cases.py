"""Between meetings (000 D7): an A application climbs section chief → 销售部长 → GM; an
order exception needs 销售部长; a temporary grade is reviewed once its six months are up."""

from __future__ import annotations

from conftest import wait_for

ROWS = ("name,phone,territory,year,sales,growth,overdue_payments,cooperation,grade\n"
        "申报酒行,13522220001,east,2026,380,25,0,92,B\n"
        "例外酒行,13522220002,south,2026,520,10,0,90,A\n")


def _step(kefu, number: str, index: int) -> dict:
    def found():
        tasks = kefu.json("tiers", "case", number)["approvals"]
        return tasks[index] if len(tasks) > index and tasks[index]["status"] == "pending" else None
    return wait_for(found, timeout=90, what=f"step {index + 1} of {number}")


def _number(kefu, *args: str, now: str | None = None) -> str:
    """The case number the command prints first (then its flow run)."""
    return kefu.run(*args, now=now).stdout.splitlines()[0]


def _status(kefu, number: str, wanted: str) -> dict:
    return wait_for(lambda: (v := kefu.json("tiers", "case", number))["status"] == wanted and v,
                    timeout=90, what=f"{number} to be {wanted}")



def test_a_application_climbs_chief_minister_gm_and_changes_the_grade(kefu, tmp_path):
    (tmp_path / "rows.csv").write_text(ROWS, encoding="utf-8")
    kefu.run("customers", "import", str(tmp_path / "rows.csv"))
    number = _number(kefu, "customers", "apply-a", "申报酒行", "--as", "zheng.sales",
                     "--reason", "全年回款及时，增长25%")
    assert number.startswith("AA-")
    for index, person in enumerate(("li.east", "he.sales", "wang.gm")):
        task = _step(kefu, number, index)
        assert task["assignee"] == person
        kefu.run("tiers", "decide", str(task["id"]), "--as", person, "--comment", f"{person} 同意")
    view = _status(kefu, number, "approved")
    assert [t["decided_by"] for t in view["approvals"]] == ["li.east", "he.sales", "wang.gm"]
    card = kefu.json("customers", "show", "申报酒行")
    assert card["grade"] == "A"
    assert (card["grade_history"][-1]["from"], card["grade_history"][-1]["to"],
            card["grade_history"][-1]["by"], card["grade_history"][-1]["source"]) == (
        "B", "A", "wang.gm", "a_application")
    refused = kefu.run("customers", "apply-a", "申报酒行", "--as", "zheng.sales", "--reason", "再申请",
                       check=False)
    assert refused.returncode == 2 and "already grade A" in refused.stderr


def test_a_refused_order_needs_the_minister_and_a_temporary_grade_is_reviewed_after_six_months(
        kefu, database_url, tmp_path):
    """Two cases at once (their runs proceed side by side)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from models import Customer
    from models.db import session_scope

    # 000 D7 §6.2 C: refusing an A customer's order needs 销售部长 or higher.
    refused = kefu.run("customers", "order-exception", "例外酒行", "--as", "zheng.sales",
                       "--exception", "refuse", "--reason", "产能不足", check=False)
    assert refused.returncode == 2 and "--exception" in refused.stderr
    exception = _number(kefu, "customers", "order-exception", "例外酒行", "--as", "zheng.sales",
                        "--exception", "refuse_a_order", "--reason", "产能不足", "--order", "SO-88")

    # §5.1.2 D: what the new-customer flow writes at registration — a temporary grade,
    # reviewed after six months.
    (tmp_path / "new.csv").write_text(
        "name,phone,territory,year,sales,growth,overdue_payments,cooperation\n"
        "新开酒行,13522220003,north,2026,90,0,0,80\n", encoding="utf-8")
    kefu.run("customers", "import", str(tmp_path / "new.csv"))
    with session_scope(database_url) as session:
        customer = session.scalar(select(Customer).where(Customer.name == "新开酒行"))
        customer.grade, customer.grade_temporary = "C", True
        customer.registered_at = datetime(2026, 5, 20, 2, tzinfo=UTC)
        customer.grade_review_due_at = datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert kefu.run("customers", "reviews", now="2026-11-19T10:00").stdout == ""  # not yet due
    review = _number(kefu, "customers", "reviews", now="2026-11-23T10:00")
    assert review.startswith("GR-")
    assert kefu.run("customers", "reviews", now="2026-11-23T11:00").stdout == ""  # once

    task = _step(kefu, exception, 0)
    assert task["assignee"] == "he.sales"
    not_his = kefu.run("tiers", "decide", str(task["id"]), "--as", "zheng.sales", "--decision",
                       "approve", check=False)
    assert not_his.returncode == 2 and "assigned to he.sales" in not_his.stderr
    kefu.run("tiers", "decide", str(task["id"]), "--as", "he.sales", "--decision", "reject",
             "--comment", "A级客户订单优先保障")

    task = _step(kefu, review, 0)
    assert task["assignee"] == "tang.north" and task["choices"] == {"grade": ["A", "B", "C"]}
    kefu.run("tiers", "decide", str(task["id"]), "--as", "tang.north", "--grade", "B",
             "--comment", "六个月合作稳定")

    _status(kefu, exception, "rejected")
    assert kefu.json("customers", "show", "例外酒行")["grade"] == "A"
    _status(kefu, review, "approved")
    card = kefu.json("customers", "show", "新开酒行")
    assert (card["grade"], card["grade_temporary"], card["grade_review_due_at"]) == ("B", False, None)
    assert card["grade_history"][-1]["source"] == "temporary_review"
    assert "六个月合作稳定" in card["grade_history"][-1]["reason"]
