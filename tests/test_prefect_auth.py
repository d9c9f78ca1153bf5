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


START = ("from runtime.runs import PrefectUnavailable, start_case_run\n"
         "try:\n    start_case_run('complaint/complaint', {}, 'probe', 'probe-key')\n"
         "except PrefectUnavailable as exc:\n    print('answered:', exc)\n")


def test_starting_a_case_s_run_over_plain_http_sends_the_credentials_too(guarded_api, tmp_path):
    """start_case_run calls Prefect's REST API without Prefect's client (runtime/prefect_http):
    the same credentials go along, and a wrong one is refused by the server, not ignored."""
    env = {"PATH": "/usr/bin:/bin", "KEFU_PREFECT_API_URL": guarded_api,
           "KEFU_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}

    def start(auth: str) -> str:
        return subprocess.run([sys.executable, "-c", START], cwd=ROOT, capture_output=True,
                              env={**env, "KEFU_PREFECT_AUTH": auth}, text=True,
                              timeout=120).stdout
    assert "answered: deployment 'complaint/complaint' is not registered" in start("kefu:s3cret-pass")
    assert "answered: Prefect server answered 401" in start("kefu:wrong")
