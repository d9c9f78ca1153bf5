"""The HTTP API (issue 17 §1) against the real ``kefu inbox`` server (a subprocess) on a real
SQLite database, without Prefect: an intake key files and reads complaints, a person key
lists and decides that person's approvals, bad fields are refused naming them with nothing
written, a retried filing returns the same case, scopes and revoked keys are refused, every
call is audited, and the OpenAPI schema documents the API's routes only."""

from __future__ import annotations

import secrets
import subprocess

import httpx
import pytest
from conftest import KEFU, ROOT
from sqlalchemy import func, select
from test_inbox import inbox_env, serving

from models import ApiIdempotency, ApprovalTask, AuditEntry, Complaint, Customer
from models.db import session_scope
from runtime.ports import free_port

COMPLAINT = {"channel": "hotline", "customer": {"name": "接口测试", "phone": "13900000001"},
             "content": "新买的酒口感发苦，风味不对"}


class Api:
    def __init__(self, env: dict, base: str) -> None:
        self.env, self.base = env, base
        self.tokens: dict[str, str] = {}

    def kefu(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*KEFU, *args], env=self.env, cwd=ROOT, text=True,
                              capture_output=True, timeout=120)

    def create_key(self, name: str, *options: str) -> str:
        done = self.kefu("api-keys", "create", "--name", name, *options)
        assert done.returncode == 0, done.stderr
        self.tokens[name] = done.stdout.strip()
        return self.tokens[name]

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[key]}"} if key else {}
        return httpx.Client(base_url=f"{self.base}/api/v1", headers=headers, timeout=30)

    def count(self, table) -> int:
        with session_scope(self.env["KEFU_DATABASE_URL"]) as session:
            return session.scalar(select(func.count()).select_from(table))

    def audit(self, **where) -> list[AuditEntry]:
        with session_scope(self.env["KEFU_DATABASE_URL"]) as session:
            query = select(AuditEntry).where(AuditEntry.via == "api").order_by(AuditEntry.id)
            for key, value in where.items():
                query = query.where(getattr(AuditEntry, key) == value)
            return list(session.scalars(query))


@pytest.fixture(scope="module")
def api(tmp_path_factory, mailbox):
    data = tmp_path_factory.mktemp("api")
    port = free_port()
    env = inbox_env(data, f"http://127.0.0.1:{port}", mailbox.port)
    a = Api(env, f"http://127.0.0.1:{port}")
    assert a.kefu("init").returncode == 0
    a.create_key("hotline", "--scope", "intake")
    a.create_key("chen", "--scope", "person", "--person", "chen.qe")
    a.create_key("liu", "--scope", "person", "--person", "liu.quality")
    with serving(env, port, data / "inbox.log"):
        yield a


def _ask_quality_engineer(policy, number: str) -> int:
    """Take a filed complaint to its first handling decision by the complaint's own steps."""
    from tasks.complaint import case

    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    return case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)


def test_an_intake_key_files_a_complaint_at_once_and_reads_it_as_the_cli_shows_it(api):
    from tasks.complaint.card import complaint_view

    with api.client("hotline") as client:
        filed = client.post("/complaints", json=COMPLAINT)
        assert filed.status_code == 201, filed.text
        body = filed.json()
        assert body["number"].startswith("TS-") and body["status"] == "received"
        assert set(body["due"]) == {"register", "reply", "handling"}  # feedback starts later
        shown = client.get(f"/complaints/{body['number']}")
    assert shown.status_code == 200
    assert shown.json() == complaint_view(body["number"])
    assert shown.json()["flow_run_id"] is None  # the worker's reconciler starts the run
    assert shown.headers["content-type"].startswith("application/json")
    assert shown.headers["x-content-type-options"] == "nosniff"  # the inbox's headers apply
    assert [(e.action, e.actor) for e in api.audit(case_number=body["number"])] == [
        ("file_complaint", "api:hotline"), ("view_complaint", "api:hotline")]
    with api.client("hotline") as client:
        assert client.get("/complaints/TS-1999-999999").status_code == 404


@pytest.mark.parametrize(("change", "loc"), [
    ({"customer": {"name": "接口测试", "phone": "call me"}}, ["body", "customer", "phone"]),
    ({"channel": "pigeon"}, ["body", "channel"]),
    ({"customer": {"name": "接口测试", "phone": "13900000001", "email": "a b@x"}},
     ["body", "customer", "email"]),
    ({"shipped_on": "2026-13-01"}, ["body", "shipped_on"]),
    ({"content": None}, ["body", "content"]),
    ({"triggers": ["media"]}, ["body", "triggers"]),   # a flag the default policy has not
])
def test_a_bad_field_is_refused_with_422_naming_it_and_nothing_is_written(api, change, loc):
    before = (api.count(Complaint), api.count(Customer), api.count(ApiIdempotency))
    with api.client("hotline") as client:
        answer = client.post("/complaints", json={**COMPLAINT, **change},
                             headers={"Idempotency-Key": secrets.token_hex(8)})
    assert answer.status_code == 422
    assert [d["loc"] for d in answer.json()["detail"]] == [loc]
    assert (api.count(Complaint), api.count(Customer), api.count(ApiIdempotency)) == before


def test_a_retried_filing_with_the_same_idempotency_key_returns_the_same_case(api):
    key = {"Idempotency-Key": secrets.token_hex(16)}
    before = api.count(Complaint)
    with api.client("hotline") as client:
        first = client.post("/complaints", json=COMPLAINT, headers=key)
        again = client.post("/complaints", json=COMPLAINT, headers=key)
        other = client.post("/complaints", json=COMPLAINT,
                            headers={"Idempotency-Key": secrets.token_hex(16)})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json() == first.json()
    assert other.json()["number"] != first.json()["number"]
    assert api.count(Complaint) == before + 2


def test_simultaneous_retries_with_one_idempotency_key_file_one_case(api):
    """A hotline system that times out and retries at once: the racing requests store one
    case; the losers' filings are undone and they answer with the winner's number."""
    from concurrent.futures import ThreadPoolExecutor

    key = {"Idempotency-Key": secrets.token_hex(16)}
    before = api.count(Complaint)

    def post(_: int) -> httpx.Response:
        with api.client("hotline") as client:
            return client.post("/complaints", json=COMPLAINT, headers=key)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["number"] for a in answers}) == 1
    assert api.count(Complaint) == before + 1


def test_a_person_key_lists_and_decides_their_own_approvals_as_that_person(api, policy):
    with api.client("hotline") as client:
        number = client.post("/complaints", json=COMPLAINT).json()["number"]
    task_id = _ask_quality_engineer(policy, number)
    with api.client("chen") as chen:
        mine = chen.get("/approvals", params={"assignee": "me"})
        assert mine.status_code == 200
        task = next(t for t in mine.json() if t["id"] == task_id)
        assert task["case"] == number and task["assignee"] == "chen.qe"
        choices = {name: allowed[0] for name, allowed in task["choices"].items()}
        decided = chen.post(f"/approvals/{task_id}/decision",
                            json={"decision": "approve", "comment": "同意", **choices})
        assert decided.status_code == 200, decided.text
        again = chen.post(f"/approvals/{task_id}/decision", json={"decision": "approve", **choices})
    assert decided.json()["decided_by"] == "chen.qe" and decided.json()["status"] == "decided"
    assert again.status_code == 409 and "already decided" in again.json()["detail"]
    with session_scope(api.env["KEFU_DATABASE_URL"]) as session:
        row = session.get(ApprovalTask, task_id)
        assert (row.decided_by, row.comment) == ("chen.qe", "同意")
    assert [(e.action, e.outcome) for e in api.audit(task_id=task_id, actor="chen.qe")] == [
        ("decide", "ok"), ("decide", "refused")]


def test_a_task_not_the_persons_and_a_missing_one_get_the_same_404(api, policy):
    with api.client("hotline") as client:
        number = client.post("/complaints", json=COMPLAINT).json()["number"]
    task_id = _ask_quality_engineer(policy, number)
    with api.client("liu") as liu:
        assert task_id not in [t["id"] for t in liu.get("/approvals").json()]
        not_mine = liu.post(f"/approvals/{task_id}/decision", json={"decision": "reject"})
        missing = liu.post("/approvals/999999/decision", json={"decision": "reject"})
    assert not_mine.status_code == missing.status_code == 404
    assert not_mine.json()["detail"].replace(str(task_id), "N") == \
        missing.json()["detail"].replace("999999", "N")
    with session_scope(api.env["KEFU_DATABASE_URL"]) as session:
        assert session.get(ApprovalTask, task_id).status == "pending"
    assert api.audit(task_id=task_id, actor="liu.quality", outcome="refused")


def test_an_intake_key_cannot_list_or_decide_approvals_and_a_person_key_cannot_file(api):
    with api.client("hotline") as client:
        assert client.get("/approvals").status_code == 403
        assert client.post("/approvals/1/decision", json={"decision": "approve"}).status_code == 403
    with api.client("chen") as chen:
        assert chen.post("/complaints", json=COMPLAINT).status_code == 403
    assert api.audit(actor="api:hotline", outcome="refused")


def test_a_revoked_or_unknown_key_is_refused_with_401(api):
    api.create_key("webform", "--scope", "intake")
    with api.client("webform") as client:
        assert client.post("/complaints", json=COMPLAINT).status_code == 201
    revoked = api.kefu("api-keys", "revoke", "webform")
    assert revoked.returncode == 0, revoked.stderr
    with api.client("webform") as client:
        refused = client.post("/complaints", json=COMPLAINT)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    with httpx.Client(base_url=f"{api.base}/api/v1", timeout=30) as anonymous:
        assert anonymous.get("/approvals").status_code == 401
        wrong = {"Authorization": "Bearer kefu_" + secrets.token_urlsafe(32)}
        assert anonymous.get("/approvals", headers=wrong).status_code == 401
    listed = api.kefu("api-keys", "list", "--json")
    assert '"revoked_at": null' in listed.stdout and api.tokens["webform"] not in listed.stdout
    assert api.audit(actor="anonymous", outcome="refused")


def test_the_openapi_schema_documents_the_api_routes_only(api):
    schema = httpx.get(f"{api.base}/api/v1/openapi.json", timeout=30)
    assert schema.status_code == 200
    assert set(schema.json()["paths"]) == {"/complaints", "/complaints/{number}", "/approvals",
                                           "/approvals/{task_id}/decision", "/prospects",
                                           "/prospects/{number}"}
    assert "ComplaintIn" in schema.json()["components"]["schemas"]


def test_the_complaint_list_filters_by_status_department_and_timing(api, policy):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from models import Clock

    with api.client("hotline") as client:
        routed = client.post("/complaints", json=COMPLAINT).json()["number"]
        late = client.post("/complaints", json=COMPLAINT).json()["number"]
        soon = client.post("/complaints", json=COMPLAINT).json()["number"]
    task_id = _ask_quality_engineer(policy, routed)
    with session_scope(api.env["KEFU_DATABASE_URL"]) as session:
        for number, hours in ((late, -1), (soon, 1)):   # at_risk: within the policy's 4 hours
            session.execute(update(Clock).where(Clock.case_number == number)
                            .values(due_at=datetime.now(UTC) + timedelta(hours=hours)))

    def numbers(**query) -> list[str]:
        with api.client("hotline") as client:
            answer = client.get("/complaints", params={**query, "limit": 500})
        assert answer.status_code == 200, answer.text
        return [row["number"] for row in answer.json()]

    quality = numbers(department="quality")
    assert routed in quality and late not in quality
    with api.client("hotline") as client:
        row = [r for r in client.get("/complaints", params={"department": "quality"}).json()
               if r["number"] == routed][0]
    assert row["waiting_on"] == [{"task": task_id, "step": "handling", "label": row["waiting_on"][0]["label"],
                                  "assignee": "chen.qe", "due_at": row["waiting_on"][0]["due_at"]}]
    assert row["timing"] == "on_time" and datetime.fromisoformat(row["next_due_at"]).tzinfo
    assert {late, soon, routed} & set(numbers(timing="overdue")) == {late}
    assert {late, soon, routed} & set(numbers(timing="at_risk")) == {soon}
    assert {late, soon, routed} & set(numbers(timing="on_time")) == {routed}
    assert late in numbers(status="received") and routed not in numbers(status="archived")
    assert numbers(received_from="2099-01-01T00:00:00+08:00") == []
    assert numbers(received_from="2026-01-01T00:00:00+08:00")[:3] == [soon, late, routed]  # newest first

    with api.client("hotline") as client:
        bad = client.get("/complaints", params={"status": "lost"})
        too_many = client.get("/complaints", params={"limit": 100000})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["query", "limit"]
    with api.client("chen") as client:
        assert client.get("/complaints").status_code == 403   # a person key is not a system's
    assert api.audit(action="list_complaints")[-1].actor == "api:hotline"


PROSPECT = {"name": "接口铸造厂", "product_line": "cast_balls",
            "expected_annual_revenue": "3500000", "owner": "zheng.sales"}


def test_an_intake_key_files_a_new_customer_application_and_reads_it_back(api):
    from models import Prospect
    from tasks.new_customer.card import prospect_view

    with api.client("hotline") as client:
        applied = client.post("/prospects", json=PROSPECT)
        assert applied.status_code == 201, applied.text
        number = applied.json()["number"]
        assert applied.json()["qualified"] is True        # 000 D8 §2: 铸球 above 300万
        shown = client.get(f"/prospects/{number}")
        missing = client.get("/prospects/XK-1999-000001")
    assert shown.status_code == 200 and shown.json() == prospect_view(number)
    assert shown.json()["flow_run_id"] is None           # the worker's reconciler starts it
    assert missing.status_code == 404
    before = api.count(Prospect)
    with api.client("hotline") as client:
        bad = client.post("/prospects", json={**PROSPECT, "name": "另一家",
                                              "expected_annual_revenue": "三百万"})
        unknown = client.post("/prospects", json={**PROSPECT, "name": "另一家", "owner": "nobody"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "expected_annual_revenue"]
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "owner"]
    assert api.count(Prospect) == before                  # nothing written
    with api.client("chen") as client:
        assert client.post("/prospects", json={**PROSPECT, "name": "第三家"}).status_code == 403
    assert [(e.action, e.outcome) for e in api.audit(case_number=number)] == [
        ("apply_prospect", "ok"), ("view_prospect", "ok")]
