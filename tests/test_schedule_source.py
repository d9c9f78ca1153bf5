"""prefect.yaml is the one source of truth for schedules (README, "Schedules"), and the worker
runs as a service: it says what it serves, follows an edit of prefect.yaml without a restart,
replaces (and reports) a schedule changed in the Prefect UI/API when it restarts, refuses a
bad cron in one line, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import KEFU, ROOT, Kefu, free_port, kefu_env, start_prefect, stop_prefect, wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A Prefect server of its own (its schedules are changed here) and a kefu serving a copy
    of prefect.yaml."""
    port = free_port()
    server = start_prefect(tmp_path_factory.mktemp("prefect-schedules"), port)
    api = f"http://127.0.0.1:{port}/api"
    data = tmp_path_factory.mktemp("kefu-schedules")
    spec = data / "prefect.yaml"
    shutil.copy(ROOT / "prefect.yaml", spec)
    env = {**kefu_env(data, f"sqlite:///{data / 'kefu.db'}", api, free_port()),
           "KEFU_PREFECT_YAML": str(spec), "KEFU_RECONCILE_EVERY": "1"}
    kefu = Kefu(env=env)
    kefu.run("init")
    yield kefu, api, spec
    stop_prefect(server)


_started: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_worker_left():
    """A failed test must not leave its worker serving (it would answer the next test)."""
    yield
    while _started:
        worker = _started.pop()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)


def _start(kefu: Kefu) -> subprocess.Popen:
    log = Path(kefu.env["KEFU_DATA_DIR"]) / "worker.log"
    log.write_text("")
    worker = subprocess.Popen([*KEFU, "worker"], env=kefu.env, cwd=ROOT, stdout=log.open("ab"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    _started.append(worker)
    return worker


def _stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    os.kill(worker.pid, sig)
    return worker.wait(timeout=60)


def _log(kefu: Kefu) -> str:
    return (Path(kefu.env["KEFU_DATA_DIR"]) / "worker.log").read_text()


def _weekly(api: str) -> list[dict] | None:
    found = httpx.get(f"{api}/deployments/name/complaint-report/weekly")
    return None if found.status_code == 404 else found.json()["schedules"]


def _weekly_cron(api: str) -> str | None:
    schedules = _weekly(api)
    return schedules[0]["schedule"]["cron"] if schedules else None


def test_the_worker_follows_prefect_yaml_and_replaces_a_ui_change_at_restart(stack):
    kefu, api, spec = stack
    worker = _start(kefu)
    wait_for(lambda: _weekly_cron(api) == "0 8 * * 1", timeout=120, what="weekly registered")
    banner = _log(kefu)
    assert "deployments from" in banner and "weekly" in banner and "0 8 * * 1 (Asia/Shanghai)" in banner

    # An edit of prefect.yaml reaches the server while the worker runs: no restart.
    spec.write_text(spec.read_text().replace('cron: "0 8 * * 1"', 'cron: "45 7 * * 1"'))
    wait_for(lambda: _weekly_cron(api) == "45 7 * * 1", timeout=60, what="the edit applied")
    wait_for(lambda: "prefect.yaml changed: schedule weekly" in _log(kefu), what="the log line")

    # A change through the Prefect API lasts until the worker restarts, which says so.
    deployment = httpx.get(f"{api}/deployments/name/complaint-report/weekly").json()
    schedule = deployment["schedules"][0]
    assert httpx.patch(f"{api}/deployments/{deployment['id']}/schedules/{schedule['id']}", json={
        "schedule": {"cron": "0 9 * * 1", "timezone": "Asia/Shanghai"}}).status_code == 204
    assert _weekly_cron(api) == "0 9 * * 1"
    assert _stop(worker) == 0
    stopped = _log(kefu)
    assert "kefu worker stopped" in stopped and "never awaited" not in stopped
    assert "Traceback" not in stopped

    worker = _start(kefu)
    wait_for(lambda: "schedule changed outside prefect.yaml is replaced: weekly: 0 9 * * 1"
             in _log(kefu), timeout=120, what="the replaced schedule reported")
    wait_for(lambda: _weekly_cron(api) == "45 7 * * 1", timeout=60, what="prefect.yaml restored")
    assert _stop(worker, signal.SIGINT) == 0
    assert "never awaited" not in _log(kefu) and "Traceback" not in _log(kefu)


def test_kefu_schedules_set_edits_the_file_keeps_its_comments_and_refuses_a_bad_cron(stack):
    kefu, api, spec = stack
    comments = [line for line in spec.read_text().splitlines() if line.lstrip().startswith("#")]
    done = kefu.run("schedules", "set", "escalation-sweep", "--cron", "*/10 * * * *")
    assert "escalation-sweep: */10 * * * * (Asia/Shanghai) (saved in prefect.yaml)" in done.stdout
    assert [line for line in spec.read_text().splitlines()
            if line.lstrip().startswith("#")] == comments
    before = spec.read_text()
    bad = kefu.run("schedules", "set", "weekly", "--cron", "61 8 * * 1", check=False)
    assert bad.returncode == 2 and spec.read_text() == before
    assert bad.stderr.strip().count("\n") == 0
    assert "deployment 'weekly', schedules[1].cron: '61 8 * * 1' is not valid" in bad.stderr


def test_a_bad_cron_in_prefect_yaml_stops_the_worker_with_one_line(stack):
    kefu, _, spec = stack
    good = spec.read_text()
    spec.write_text(good.replace("timezone: Asia/Shanghai", "timezone: Asia/Shangai", 1))
    try:
        worker = _start(kefu)
        assert worker.wait(timeout=120) != 0
        lines = [line for line in _log(kefu).splitlines() if line.strip()]
        assert lines == ["error: prefect.yaml: deployment 'escalation-sweep', "
                         "schedules[1].timezone: 'Asia/Shangai' is not valid (an IANA time "
                         "zone, e.g. 'Asia/Shanghai')"], lines
    finally:
        spec.write_text(good)
