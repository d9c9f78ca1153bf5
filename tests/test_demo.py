"""README command 1's main job, `kefu demo`, on a data directory and Prefect port of its own:
three cases archived, three waiting for a person, and every case's run on the dashboard
Completed or parked for that person — none left Crashed when the demo stops its worker."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from conftest import ROOT

from runtime.ports import free_port


def test_the_demo_archives_three_cases_and_leaves_every_run_settled(tmp_path):
    api = f"http://127.0.0.1:{free_port()}/api"
    env = {**os.environ, "KEFU_DATA_DIR": str(tmp_path), "KEFU_PREFECT_API_URL": api,
           "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "prefect")}
    for key in ("KEFU_DATABASE_URL", "KEFU_NOW", "KEFU_POLICY", "KEFU_MAIL_URL"):
        env.pop(key, None)
    try:
        done = subprocess.run([sys.executable, "-m", "cli.main", "demo"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count(" archived\n") == 3
        assert done.stdout.count("waiting for ") == 3
        # issue 18 §6: a major complaint as 004 D5 judges it, read from its shipped file.
        assert "[3c/5] a major complaint" in done.stdout and "媒体负面报道" in done.stdout
        runs = httpx.post(f"{api}/flow_runs/filter", json={
            "flow_runs": {"name": {"like_": "complaint TS-"}}, "limit": 20}).json()
        states = sorted(r["state_type"] for r in runs)
        assert states == ["COMPLETED"] * 3 + ["PAUSED"] * 3, [(r["name"], r["state_name"])
                                                              for r in runs]
        # One callback (回访, 004 D14) beside them: the important complaint's, closed satisfied.
        assert "closed: 客户满意" in done.stdout
        callbacks = httpx.post(f"{api}/flow_runs/filter", json={
            "flow_runs": {"name": {"like_": "callback HF-"}}, "limit": 20}).json()
        assert "COMPLETED" in {r["state_type"] for r in callbacks}
        assert {r["state_type"] for r in callbacks} <= {"COMPLETED", "PAUSED"}
        cards = httpx.post(f"{api}/artifacts/latest/filter", json={"limit": 20}).json()
        assert len([c for c in cards if c["key"].startswith("complaint-ts-")]) == 6
    finally:
        subprocess.run([sys.executable, "-m", "cli.main", "server", "stop"], env=env, cwd=ROOT,
                       capture_output=True, timeout=60)
        pid_file = tmp_path / "inbox.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)
