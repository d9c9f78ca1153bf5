"""Memory: the resident set of all of kefu's processes (Prefect server and its children, the
worker and any flow-run subprocess) with N cases waiting for a decision, against before.

    .venv/bin/python -m bench.memory [--cases 1000]

A waiting case holds no process (its run is suspended), so the figure should barely move.
The N waiting cases are built quickly rather than by running N flows (≈ 2 s of CPU each on
this machine): each is filed, classified, routed, answered and asked for its handling decision
by the same step functions the flow calls, and its flow run is created from the complaint
deployment in the very Suspended state, with the very pause key, a real suspension leaves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from bench.report import emit
from bench.stack import Stack, stack


def _rss_of_groups(groups: list[int]) -> tuple[float, int]:
    """(MB, processes) summed over every process in these process groups."""
    total_kb, count = 0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pgrp = int(stat.rsplit(")", 1)[1].split()[2])
            if pgrp not in groups:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    count += 1
        except (OSError, ValueError, IndexError):
            continue
    return total_kb / 1024, count


def rss(running: Stack) -> tuple[float, int]:
    return _rss_of_groups([os.getpgid(running.server_pid()), os.getpgid(running.worker.pid)])


def _settle(running: Stack, seconds: float = 12.0) -> tuple[float, int]:
    """RSS after a few reconcile rounds and runner polls (the worker's steady state), once
    no flow run is running (no flow-run process)."""
    deadline = time.monotonic() + 120
    while _running_runs() and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(seconds)
    return rss(running)


def _running_runs() -> int:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    async def count() -> int:
        async with get_client() as client:
            return len(await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(
                    any_=[StateType.RUNNING, StateType.PENDING]))),
                sort=FlowRunSort.ID_DESC, limit=200))

    return asyncio.run(count())


def _waiting_case(policy, i: int) -> tuple[str, int]:
    from tasks.complaint import case
    from tasks.complaint.intake import file_complaint, parse_complaint

    data = parse_complaint(policy, channel="phone", customer=f"等待{i}", phone="13800000000",
                           content="酒的口感不对", email="m@bench.example")
    complaint = file_complaint(policy, data)
    number = complaint.number
    case.classify_complaint(policy, number)
    case.route_complaint(policy, number)
    case.reply_to_customer(policy, number)
    task_id = case.request_handling_step(policy, number, policy.complaint.handling_steps[0], None)
    # Its run at once, under the key the worker's reconciler would use for a case without
    # one (it would otherwise start a real run for it).
    _attach([(number, task_id)], asyncio.run(_suspended_runs([(number, task_id)],
                                                             [str(complaint.uid)])))
    return number, task_id


async def _suspended_runs(cases: list[tuple[str, int]], uids: list[str]) -> list[str]:
    from prefect import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.states import Suspended

    from runtime.runs import COMPLAINT_DEPLOYMENT
    from tasks.decision_form import pause_key

    async with get_client() as client:
        deployment = await client.read_deployment_by_name(COMPLAINT_DEPLOYMENT)

        async def one(number: str, task_id: int, uid: str) -> str:
            # Created suspended: the worker never sees it scheduled. A busy server (its own
            # SQLite locked) answers 503 now and then: try again.
            for attempt in range(10):
                try:
                    run = await client.create_flow_run_from_deployment(
                        deployment.id, parameters={"number": number},
                        name=f"complaint {number}", tags=["process:complaint"],
                        idempotency_key=f"complaint:{uid}",
                        state=Suspended(pause_key=pause_key(task_id, 0)))
                    return str(run.id)
                except PrefectHTTPStatusError as exc:
                    if exc.response.status_code != 503 or attempt == 9:
                        raise
                    await asyncio.sleep(1 + attempt)
            raise AssertionError("unreachable")

        return [await one(n, t, u) for (n, t), u in zip(cases, uids, strict=True)]


def _attach(cases: list[tuple[str, int]], run_ids: list[str]) -> None:
    from sqlalchemy import update

    from models import ApprovalTask, Complaint
    from models.db import session_scope

    with session_scope() as session:
        for (number, task_id), run_id in zip(cases, run_ids, strict=True):
            session.execute(update(Complaint).where(Complaint.number == number)
                            .values(flow_run_id=run_id))
            session.execute(update(ApprovalTask).where(ApprovalTask.id == task_id)
                            .values(flow_run_id=run_id))


def measure(running: Stack, cases: int = 1000) -> dict:
    """Needs a running stack (server and worker)."""
    from policy.load import load_policy

    policy = load_policy()
    before, processes_before = _settle(running)
    started = time.perf_counter()
    for i in range(cases):
        _waiting_case(policy, i)
    build_s = time.perf_counter() - started
    after, processes_after = _settle(running, 20.0)
    return {
        "waiting_cases_added": cases,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_added_mb": round(after - before, 1),
        "processes_before": processes_before,
        "processes_after": processes_after,
        "build_s": round(build_s, 1),
        "worker_alive": running.worker.poll() is None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    with stack() as running:
        result = measure(running, args.cases)
    emit(result, running.folder, "memory", header=("measure", "value"))


if __name__ == "__main__":
    main()
