"""A callback (回访, 004 D14) end to end on a real Prefect server with the real worker and real
mail to a real SMTP server, on SQLite and on PostgreSQL; time moves with KEFU_NOW.

A complaint is handled and archived through its own flow; the callback process draws it (the
complaint process knows nothing of callbacks), the department head is asked to call the
customer back within 3 days, misses it (the sweep escalates to the head's superior), records
a dissatisfied customer (the head is told to put it right, a second callback follows), then a
satisfied one: the callback closes, its card and the month's figures are on the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from conftest import wait_for

T0 = datetime.fromisoformat("2026-11-23T10:00:00+08:00")   # a Monday


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def _mail(mailbox, who: str, words: str, number: str) -> list[dict]:
    return [m for m in mailbox.to(f"{who}@distillery.example")
            if number in m["subject"] and words in m["subject"]]


def _callback_of(kefu, complaint: str) -> dict:
    number = wait_for(lambda: kefu._peek(
        "SELECT count(*) FROM callbacks WHERE source_number = :n AND flow_run_id IS NOT NULL",
        n=complaint), timeout=90, what=f"the callback of {complaint} to start")
    assert number
    rows = kefu.json("callback", "list")
    return next(r for r in rows if r["source"] == complaint)


def _pending(kefu, number: str, round_: int) -> dict:
    wait_for(lambda: kefu._peek(
        "SELECT count(*) FROM approval_tasks WHERE case_number = :n AND step = 'callback'"
        " AND status = 'pending' AND round = :r", n=number, r=round_), timeout=90,
        what=f"callback {round_} of {number}")
    return next(a for a in kefu.json("callback", "show", number)["approvals"]
                if a["round"] == round_)


def test_a_handled_complaint_is_called_back_escalated_and_closed_in_two_rounds(kefu, mailbox):
    complaint = kefu.json("complaint", "file", "--channel", "phone", "--customer", "回访客户",
                          "--phone", "13900000001", "--email", "huifang@customer.example",
                          "--content", "酒的口感不对，有异味", "--important", now=at(0))["number"]
    handling = kefu.pending(complaint, "handling")
    kefu.run("approvals", "decide", str(handling["id"]), "--as", handling["assignee"],
             "--decision", "approve", "--comment", "更换批次", now=at(0.5))
    opinion = kefu.pending(complaint, "customer_feedback")
    kefu.run("approvals", "decide", str(opinion["id"]), "--as", "wu.ops", "--decision",
             "approve", now=at(1))
    # Archived by its run in the worker, on the worker's (real) clock: later times follow it.
    handled = datetime.fromisoformat(kefu.status(complaint, "archived")["closed_at"])

    def after(hours: float) -> str:
        return (handled + timedelta(hours=hours)).isoformat()

    kefu.run("callback", "draw", now=after(0.5))   # what the daily callback plan does
    row = _callback_of(kefu, complaint)
    number = row["number"]
    # An important complaint is always drawn, and called back by its department head (§1.3),
    # by close of business three days after it was handled.
    assert row["chosen"] and row["caller"] == "liu.quality"
    due = datetime.fromisoformat(row["due_at"])
    assert due.astimezone(T0.tzinfo).date() == (handled.astimezone(T0.tzinfo) + timedelta(days=3)).date()
    assert due.astimezone(T0.tzinfo).strftime("%H:%M") == "18:00"
    first = _pending(kefu, number, 1)
    assert first["assignee"] == "liu.quality" and first["choices"] == {
        "outcome": ["satisfied", "dissatisfied"]}
    assert wait_for(lambda: _mail(mailbox, "liu.quality", "待回访", number),
                    what="the caller's request")

    # Day 3 passes without a callback: the sweep tells the caller and their superior.
    kefu.run("escalations", "run", now=(due + timedelta(hours=1)).isoformat())
    assert wait_for(lambda: _mail(mailbox, "wang.gm", "逾期", number), what="the escalation mail")
    assert _mail(mailbox, "liu.quality", "逾期", number)

    # Not satisfied: the department head is told to put it right; a second callback is asked.
    kefu.run("callback", "record", number, "--outcome", "dissatisfied", "--note",
             "电话回访：客户希望补发赠品", now=(due + timedelta(hours=2)).isoformat())
    second = _pending(kefu, number, 2)
    assert second["assignee"] == "liu.quality" and second["label"].endswith("（第2次回访）")
    told = wait_for(lambda: _mail(mailbox, "liu.quality", "回访不满意", complaint),
                    what="the dissatisfied mail")
    assert "客户希望补发赠品" in told[0]["body"]

    kefu.run("callback", "record", number, "--outcome", "satisfied", "--note", "电话回访：已补发，满意",
             now=(due + timedelta(hours=20)).isoformat())
    wait_for(lambda: kefu._peek("SELECT count(*) FROM callbacks WHERE number = :n AND status ="
                                " 'satisfied'", n=number), timeout=90, what=f"{number} closed")
    view = kefu.json("callback", "show", number)
    assert view["satisfied"] is True and view["round"] == 2
    kinds = [e["kind"] for e in view["events"]]
    assert kinds.count("called_back") == 2 and "escalated" in kinds and kinds[-1] == "closed"

    month = handled.astimezone(T0.tzinfo).strftime("%Y-%m")
    report = kefu.json("callback", "report", "--month", month)
    [k] = [k for k in report["kinds"] if k["kind"] == "complaint"]
    assert k["chosen"] >= 1 and k["called"] >= 1 and k["satisfied"] >= 1
    _assert_dashboard_shows_the_callback(kefu, number, view)


def _assert_dashboard_shows_the_callback(kefu, number: str, view: dict) -> None:
    api = kefu.env["KEFU_PREFECT_API_URL"]
    run = wait_for(lambda: (r := httpx.get(f"{api}/flow_runs/{view['flow_run_id']}").json())
                   ["state_type"] == "COMPLETED" and r, what="the callback's run to complete")
    assert run["name"] == f"callback {number}" and "process:callback" in run["tags"]
    cards = httpx.post(f"{api}/artifacts/latest/filter", json={
        "artifacts": {"key": {"any_": [f"callback-{number.lower()}"]}}, "limit": 1}).json()
    card = cards[0]["data"].replace("\\", "") if cards else ""
    assert "回访记录表" in card and "回访满意" in card
