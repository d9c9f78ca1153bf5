"""How long one complaint's flow runs when nobody makes it wait, against an empty bare Prefect
flow with the same number of tasks, measured in the same run on the same server.

    .venv/bin/python -m bench.flow_overhead [--rounds 3]

It starts its own Prefect server, SMTP server and worker in a temporary data directory, files a
complaint, decides each approval the moment it appears, and reads the run's state history:
the time the flow code ran is the sum of its Running → Suspended/Completed segments (the
human wait between them is excluded). The bare flow runs its no-op tasks in-process the same
way (an async flow, as ours are) and is timed from its own states too, and by the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import emit
from runtime.ports import free_port


def _environment() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    os.environ.update({
        "KEFU_DATA_DIR": str(folder),
        "KEFU_DATABASE_URL": f"sqlite:///{folder / 'kefu.db'}",
        "KEFU_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
    })
    os.environ["PREFECT_API_URL"] = os.environ["KEFU_PREFECT_API_URL"]
    os.environ.pop("KEFU_NOW", None)
    return folder


async def _segments(run_id: str) -> tuple[float, int]:
    """Seconds the flow code ran (sum of Running segments) and its number of task runs."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    async with get_client() as client:
        states = sorted(await client.read_flow_run_states(run_id), key=lambda s: s.timestamp)
        tasks = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
            sort=TaskRunSort.ID_DESC, limit=200)
    ran, started = 0.0, None
    for state in states:
        if state.type.value == "RUNNING":
            started = state.timestamp
        elif started is not None:
            ran += (state.timestamp - started).total_seconds()
            started = None
    return ran, len(tasks)


def _complaint_once(policy, number_hint: int) -> tuple[float, int, float]:
    from sqlalchemy import select

    from models import ApprovalTask, Complaint
    from models.db import session_scope
    from runtime.runs import start_complaint_run, wake_task
    from tasks.approvals import decide
    from tasks.intake import file_complaint, parse_complaint

    data = parse_complaint(policy, channel="phone", customer=f"基準{number_hint}",
                           phone="13800000000", content="酒的口感不對", email="b@bench.example")
    complaint = file_complaint(policy, data)
    run_id = start_complaint_run(complaint.number)
    seen: set[int] = set()
    wall = time.perf_counter()
    while True:
        with session_scope() as session:
            status = session.scalar(select(Complaint.status)
                                    .where(Complaint.number == complaint.number))
            pending = session.scalars(select(ApprovalTask).where(
                ApprovalTask.case_number == complaint.number,
                ApprovalTask.status == "pending")).all()
        if status == "archived":
            break
        for task in pending:
            if task.id in seen:
                continue
            seen.add(task.id)
            with session_scope() as session:
                decide(session, policy, task.id, actor=task.assignee_key, decision="approve",
                       comment="bench")
            wake_task(task.id)
        time.sleep(0.05)
    wall = time.perf_counter() - wall
    _wait_final(run_id)
    ran, tasks = asyncio.run(_segments(run_id))
    return ran, tasks, wall


def _wait_final(run_id: str) -> None:
    from prefect import get_client

    async def final() -> bool:
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
            return run.state.is_final()

    for _ in range(200):
        if asyncio.run(final()):
            return
        time.sleep(0.1)


def _bare_once(task_count: int) -> tuple[float, float]:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    @task(cache_policy=NO_CACHE, persist_result=False)
    def noop(i: int) -> int:
        return i

    @flow(name="bare", persist_result=False)
    async def bare(n: int) -> None:
        for i in range(n):
            noop(i)

    started = time.perf_counter()
    state = asyncio.run(bare(task_count, return_state=True))
    wall = time.perf_counter() - started
    ran, _ = asyncio.run(_segments(str(state.state_details.flow_run_id)))
    return ran, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = _environment()

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    smtp_port = free_port()
    Controller(Sink(), hostname="127.0.0.1", port=smtp_port).start()
    os.environ["KEFU_MAIL_URL"] = f"mailto://127.0.0.1:{smtp_port}?from=b@bench.example&mode=insecure"

    from models.db import session_scope
    from models.migrate import upgrade
    from policy.load import load_policy
    from runtime import server
    from runtime.runs import wait_for_deployment
    from tasks.organisation import sync_organisation

    policy = load_policy()
    upgrade()
    with session_scope() as session:
        sync_organisation(session, policy)
    server.start(progress=lambda m: print(m, file=sys.stderr))
    worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"],
                              stdout=(folder / "worker.log").open("wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_for_deployment()
        complaint = [_complaint_once(policy, i) for i in range(args.rounds)]
        task_count = complaint[0][1]
        bare = [_bare_once(task_count) for _ in range(args.rounds)]
    finally:
        worker.terminate()
        server.stop()
    c_ran = statistics.median(r for r, _, _ in complaint)
    b_ran = statistics.median(r for r, _ in bare)
    result = {
        "task_runs_per_complaint": task_count,
        "complaint_flow_code_s": round(c_ran, 3),
        "complaint_wall_with_instant_decisions_s": round(statistics.median(w for *_, w in complaint), 3),
        "bare_flow_code_s": round(b_ran, 3),
        "bare_flow_wall_s": round(statistics.median(w for _, w in bare), 3),
        "ratio_complaint_to_bare": round(c_ran / b_ran, 2) if b_ran else None,
        "rounds": args.rounds,
    }
    emit(result, folder, "flow_overhead", header=("measure", "seconds"))


if __name__ == "__main__":
    main()
