"""A wait is not an error (issue 16 §5): a complaint's run that suspends for a person's
decision logs whom it waits for at INFO, in the worker log and in the run's logs on the
Prefect server, and no ERROR; a run that really fails still logs ERROR."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from conftest import wait_for

ERROR = 40


def test_a_complaint_waiting_for_its_handler_logs_the_wait_at_info_and_no_error(kefu):
    number = kefu.json("complaint", "file", "--channel", "phone", "--customer", "张三",
                       "--phone", "13800000000", "--content", "酒的口感不对，有异味",
                       "--email", "wait-log@customer.example")["number"]
    handling = kefu.pending(number, "handling")
    run_id = kefu.show(number)["flow_run_id"]
    due = datetime.fromisoformat(handling["due_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    waiting = f"waiting for chen.qe: {handling['label']}, due {due:%Y-%m-%d %H:%M}"
    assert handling["label"] == "投诉处理"

    worker_log = Path(kefu.env["KEFU_DATA_DIR"]) / "worker.log"
    run_lines = wait_for(lambda: (lines := [
        line for line in worker_log.read_text(encoding="utf-8", errors="replace").splitlines()
        if f"Flow run 'complaint {number}'" in line]) and any(
        "Finished in state Suspended" in line for line in lines) and lines,
        what=f"{number}'s run to suspend in the worker log")
    assert [line for line in run_lines if waiting in line and "| INFO " in line], run_lines
    assert not [line for line in run_lines if "ERROR" in line], run_lines
    finished = [line for line in run_lines if "Finished in state Suspended" in line]
    assert all("| INFO " in line for line in finished), finished

    api = kefu.env["KEFU_PREFECT_API_URL"]

    def run_logs() -> list[dict] | None:
        logs = httpx.post(f"{api}/logs/filter", json={
            "logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC",
            "limit": 200}).json()
        return logs if any("Finished in state Suspended" in r["message"] for r in logs) else None

    logs = wait_for(run_logs, what=f"{number}'s run logs on the server")
    assert [r for r in logs if r["level"] >= ERROR] == []
    assert [r["level"] for r in logs if r["message"] == waiting] == [logging.INFO]


def test_only_a_suspension_is_downgraded_a_failure_still_logs_error():
    from runtime.prefect_tuning import RUN_LOGGER, quiet_suspensions

    quiet_suspensions()
    quiet_suspensions()                           # once per process, however often it is called
    logger = logging.getLogger(RUN_LOGGER)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger.addHandler(handler)
    try:
        for state in ("Suspended(type=PAUSED)", "Paused()",
                      "Failed('Flow run encountered an exception: ValueError: x')",
                      "Crashed('Execution was interrupted')"):
            logger.error(f"Finished in state {state}")
        logger.error("Suspended(type=PAUSED) is not a finished line")
    finally:
        logger.removeHandler(handler)
    levels = [(re.sub(r"\(.*", "", r.getMessage().removeprefix("Finished in state ")), r.levelname)
              for r in seen]
    assert levels == [("Suspended", "INFO"), ("Paused", "INFO"), ("Failed", "ERROR"),
                      ("Crashed", "ERROR"), ("Suspended", "ERROR")]
    assert sum(type(f).__name__ == "SuspensionIsNotAnError" for f in logger.filters) == 1
