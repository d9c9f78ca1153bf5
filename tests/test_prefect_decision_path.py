"""Nobody decides for anybody through Prefect (issue 19 §1): the Prefect API resumes any run
with any input, so a decision typed into a run's form counts only with the one-time code its
person got in their approval message; the local server sends no wildcard CORS."""

from __future__ import annotations

import re

import httpx
from conftest import wait_for

CODE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b")


def _file(kefu, content: str, email: str) -> str:
    return kefu.json("complaint", "file", "--channel", "phone", "--customer", "张三",
                     "--phone", "13800000000", "--content", content, "--email", email)["number"]


def _paused(api: str, run_id: str, key_prefix: str) -> dict:
    def check():
        run = httpx.get(f"{api}/flow_runs/{run_id}").json()
        key = run["state"]["state_details"].get("pause_key") or ""
        return run["state_type"] == "PAUSED" and key.startswith(key_prefix) and run
    return wait_for(check, what=f"the run to wait on {key_prefix}*")


def _resume(api: str, run_id: str, run_input: dict) -> httpx.Response:
    """POST …/resume as anyone can; a 503 is Prefect's SQLite being busy: ask again."""
    def answered():
        response = httpx.post(f"{api}/flow_runs/{run_id}/resume", json={"run_input": run_input},
                              timeout=60)
        return response if response.status_code != 503 else None
    return wait_for(answered, timeout=60, every=0.2, what="the resume to be answered")


def _refusals(kefu, number: str, task_id: int) -> list[dict]:
    return [e for e in kefu.json("audit", "show", number)
            if e["task_id"] == task_id and e["action"] == "form_code" and e["outcome"] == "refused"]


def test_an_unauthenticated_resume_claiming_the_assignee_decides_nothing(kefu):
    number = _file(kefu, "酒的口感不对，有异味", "forged-resume@customer.example")
    handling = kefu.pending(number, "handling")
    run_id = kefu.show(number)["flow_run_id"]
    api = kefu.env["KEFU_PREFECT_API_URL"]
    first = _paused(api, run_id, f"approval-{handling['id']}-")

    # c46664b: this request, with no credentials, recorded "approve by chen.qe via prefect-ui".
    # The form has no such field any more: Prefect itself refuses the input.
    claimed = _resume(api, run_id, {"decided_by": "chen.qe", "decision": "approve"})
    assert claimed.json()["status"] == "REJECT" and "decided_by" in claimed.text
    # A resume that fits the form but carries no code of the person's: the run wakes,
    # records nothing, audits the attempt and waits again.
    forged = _resume(api, run_id, {"decision": "approve", "code": "ABCD-EFGH"})
    assert forged.status_code == 201, forged.text

    wait_for(lambda: _refusals(kefu, number, handling["id"]), what="the refusal in the audit log")
    again = _paused(api, run_id, f"approval-{handling['id']}-")
    assert again["state"]["state_details"]["pause_key"] != first["state"]["state_details"]["pause_key"]
    task = next(t for t in kefu.show(number)["approvals"] if t["id"] == handling["id"])
    assert task["status"] == "pending" and task["decided_by"] is None
    refusal = _refusals(kefu, number, handling["id"])[0]
    assert refusal["actor"] == "anonymous" and refusal["via"] == "prefect-ui"
    assert "not valid" in refusal["reason"]


def test_the_form_code_from_the_approval_mail_decides_as_its_person_once(kefu, mailbox):
    number = _file(kefu, "酒的口感不对，有异味", "form-code@customer.example")
    handling = kefu.pending(number, "handling")
    run_id = kefu.show(number)["flow_run_id"]
    api = kefu.env["KEFU_PREFECT_API_URL"]
    mails = wait_for(lambda: [m for m in mailbox.to("chen.qe@distillery.example")
                              if number in m["subject"]], what="the approval mail")
    code = CODE.search(mails[0]["body"]).group(1)
    _paused(api, run_id, f"approval-{handling['id']}-")

    assert _resume(api, run_id, {"code": code.lower(), "decision": "approve",
                                 "comment": "表单中决定"}).status_code == 201
    opinion = kefu.pending(number, "customer_feedback")
    decided = next(t for t in kefu.show(number)["approvals"] if t["id"] == handling["id"])
    assert (decided["decided_by"], decided["decision"], decided["comment"]) == (
        "chen.qe", "approve", "表单中决定")
    audit = [e for e in kefu.json("audit", "show", number) if e["action"] == "decide"]
    assert [(e["actor"], e["via"], e["outcome"]) for e in audit] == [("chen.qe", "prefect-ui", "ok")]

    # The same code on the next wait: spent, refused, and the opinion task stays open.
    _paused(api, run_id, f"approval-{opinion['id']}-")
    assert _resume(api, run_id, {"code": code, "decision": "approve"}).status_code == 201
    wait_for(lambda: _refusals(kefu, number, opinion["id"]), what="the replayed code refused")
    still = next(t for t in kefu.show(number)["approvals"] if t["id"] == opinion["id"])
    assert still["status"] == "pending"


def test_the_local_prefect_server_sends_no_wildcard_cors(kefu):
    api = kefu.env["KEFU_PREFECT_API_URL"]
    answer = httpx.options(f"{api}/flow_runs/filter", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    allowed = answer.headers.get("access-control-allow-origin")
    assert allowed not in ("*", "https://evil.example"), answer.headers
