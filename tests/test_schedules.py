"""prefect.yaml's schedules become runs on the real server: the escalation sweep every 15
minutes, the weekly report on Monday mornings (Asia/Shanghai).

With SQLAlchemy 2.1 the Prefect 3.8.8 server's scheduler fails on every pass ("Can't evaluate
bulk DML statement"), so no scheduled run was ever created: pyproject.toml pins SQLAlchemy 2.0.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from conftest import wait_for


def _scheduled_runs(api: str, flow: str, deployment: str) -> list[dict]:
    found = httpx.get(f"{api}/deployments/name/{flow}/{deployment}")
    if found.status_code == 404:  # the worker has not registered it yet
        return []
    return httpx.post(f"{api}/flow_runs/filter", json={
        "deployments": {"id": {"any_": [found.json()["id"]]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        "sort": "EXPECTED_START_TIME_ASC", "limit": 5}).json()


def test_the_escalation_sweep_and_the_weekly_report_are_scheduled(kefu):
    api = kefu.env["KEFU_PREFECT_API_URL"]
    sweeps = wait_for(lambda: len(r := _scheduled_runs(api, "escalation-sweep",
                                                       "escalation-sweep")) >= 3 and r,
                      timeout=90, what="scheduled escalation sweeps")
    starts = [datetime.fromisoformat(r["expected_start_time"]) for r in sweeps]
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} == {timedelta(minutes=15)}
    assert all(s.minute % 15 == 0 and s.second == 0 for s in starts)

    weekly = wait_for(lambda: _scheduled_runs(api, "complaint-report", "weekly"),
                      timeout=90, what="a scheduled weekly report")
    monday = datetime.fromisoformat(weekly[0]["expected_start_time"]).astimezone(
        ZoneInfo("Asia/Shanghai"))
    assert (monday.weekday(), monday.hour, monday.minute) == (0, 8, 0)
