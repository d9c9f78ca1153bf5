"""KEFU_NOW (issue 21 §4) applies to every process a command starts, or the command refuses
it in one line: the worker passes it to each flow-run process it starts (and says so when it
starts); the Prefect server, whose schedules and run times follow the real clock, cannot take
it, so `kefu server start`, `kefu demo` and `kefu bench` (which start one) refuse it before
starting anything."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import KEFU, ROOT

NOW = "2027-01-19T10:00"


def test_server_start_refuses_a_frozen_clock_in_one_line_and_starts_nothing(offline_kefu):
    done = offline_kefu.run("server", "start", now=NOW, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: KEFU_NOW: `kefu server start` starts the Prefect server")
    assert not (Path(offline_kefu.env["KEFU_DATA_DIR"]) / "prefect" / "server.pid").exists()


def test_demo_and_bench_refuse_a_frozen_clock_before_starting_anything(offline_kefu):
    done = offline_kefu.run("demo", now=NOW, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: KEFU_NOW: `kefu demo` starts a Prefect server")
    assert not (Path(offline_kefu.env["KEFU_DATA_DIR"]) / "prefect" / "server.pid").exists()
    done = offline_kefu.run("bench", "--quick", now=NOW, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: KEFU_NOW: `kefu bench` starts Prefect servers")


def test_the_worker_says_its_frozen_clock_holds_for_every_flow_run_it_starts(offline_kefu):
    env = {**offline_kefu.env, "KEFU_NOW": NOW}
    worker = subprocess.Popen([*KEFU, "worker"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("clock:"):
                break
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert ("clock: frozen by KEFU_NOW at 2027-01-19 10:00 for every flow run this worker "
            "starts (the sweep included)") in lines, lines
