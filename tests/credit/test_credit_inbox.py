"""The regional manager signs an over-limit shipment in the inbox, with the request beside the
task (limit, excess, customer in words), through the shared decision mechanism; the decision
stays on the customer. No Prefect: the run would be woken by the worker's reconciler."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from conftest import KEFU, ROOT

from runtime.ports import free_port
from tests.test_inbox import CSRF, PASSWORD, Site, serve_inbox


@pytest.fixture()
def site(offline_kefu, tmp_path, monkeypatch):
    figures = tmp_path / "customers.csv"
    figures.write_text("name,phone,territory,year,sales,growth,overdue_payments,cooperation\n"
                       "某酒行,021-55550001,east,2025,320,12,0,80\n", encoding="utf-8")
    offline_kefu.run("customers", "import", str(figures))
    done = subprocess.run([*KEFU, "users", "set-password", "li.east", "--password-stdin"],
                          env=offline_kefu.env, cwd=ROOT, input=PASSWORD + "\n", text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for key in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    port = free_port()
    env = {**offline_kefu.env, "KEFU_INBOX_URL": f"http://127.0.0.1:{port}"}
    with serve_inbox(env, port, tmp_path / "inbox.log") as base:
        yield Site(env, base, None)


def test_the_regional_manager_signs_in_the_inbox_with_the_request_beside(site):
    from policy.load import load_policy
    from tasks.credit import case

    policy = load_policy()
    case.record_payment(policy, customer="某酒行", amount="9000", paid_on=None, by="test")
    request = case.request_shipment(policy, customer="某酒行", amount="10000",
                                    ship_on=None, by="zheng.sales")
    # The payment made today counts from tomorrow (004 D2 §1.3): no credit today.
    assert request.credit_limit == 0 and request.approver_key == "he.sales"
    tomorrow = (case.today(policy) + timedelta(days=1)).isoformat()
    request = case.request_shipment(policy, customer="某酒行", amount="10000", by="zheng.sales",
                                    ship_on=tomorrow)
    assert (request.approver_key, str(request.excess)) == ("li.east", "1000.00")
    task_id = case.request_signature(policy, request.number)

    chief = site.login("li.east")
    page = chief.get(f"/tasks/{task_id}").text
    card = page.split('<pre id="case-text">', 1)[1].split("</pre>", 1)[0]
    assert "某酒行" in card and "授信额 9000.00 元" in card and "超出 1000.00 元" in card
    assert "郑业务（业务员）" in card and "zheng.sales" not in card
    token = CSRF.search(page).group(1)
    done = chief.post(f"/tasks/{task_id}/decide",
                      data={"csrf_token": token, "decision": "approve", "comment": "月底前回款"})
    assert done.status_code == 303
    assert case.apply_signature(policy, request.number, task_id) == "approved"
    decisions = case.customer_view(policy, "某酒行")["decisions"]
    assert [(d["number"], d["status"], d["decided_by"]) for d in decisions][-1] == (
        request.number, "approved", "li.east")
