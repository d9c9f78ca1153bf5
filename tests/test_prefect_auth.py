"""Prefect's UI and API behind basic auth (README, "Security model"): one setting,
KEFU_PREFECT_AUTH, protects the server kefu starts and is what kefu's own clients send."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from conftest import ROOT, start_prefect, stop_prefect

from runtime.ports import free_port

PROBE = ("from runtime.runs import PrefectUnavailable, wait_for_deployment\n"
         "try:\n    wait_for_deployment('complaint/complaint', timeout=1)\n"
         "except PrefectUnavailable as exc:\n    print('answered:', exc)\n")


@pytest.fixture(scope="module")
def guarded_api(tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("prefect-auth")
    server = start_prefect(home, port, {"PREFECT_SERVER_API_AUTH_STRING": "kefu:s3cret-pass"})
    yield f"http://127.0.0.1:{port}/api"
    stop_prefect(server)


def _probe(api: str, auth: str | None, data) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "KEFU_PREFECT_API_URL": api, "KEFU_DATA_DIR": str(data),
           "HOME": str(data)}
    if auth:
        env["KEFU_PREFECT_AUTH"] = auth
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_guarded_api_refuses_a_request_without_credentials(guarded_api):
    assert httpx.get(f"{guarded_api}/health").status_code == 200  # probes stay open
    refused = httpx.post(f"{guarded_api}/flow_runs/filter", json={})
    assert refused.status_code == 401


def test_kefu_clients_send_the_credentials_from_kefu_prefect_auth(guarded_api, tmp_path):
    ok = _probe(guarded_api, "kefu:s3cret-pass", tmp_path)
    assert "answered: deployment 'complaint/complaint' not registered" in ok.stdout, ok.stderr
    wrong = _probe(guarded_api, "kefu:wrong", tmp_path)
    assert "answered" not in wrong.stdout and "401" in wrong.stderr, wrong.stderr[-2000:]
