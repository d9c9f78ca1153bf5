"""How long one complaint's flow runs when nobody makes it wait, against an empty bare Prefect
flow with the same number of tasks, measured in the same run on the same server.

    .venv/bin/python -m bench.flow_overhead [--rounds 5]

It starts its own Prefect server, SMTP server and worker in a temporary data directory, files a
complaint, decides each approval the moment it appears, and reads the run's state history:
the time the flow code ran is the sum of its Running → Suspended/Completed segments (the
human wait between them is excluded). The bare flow runs its no-op tasks in-process the same
way (an async flow, as ours are) and is timed from its own states too, and by the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.report import emit
from bench.stack import stack


async def _segments(run_id: str) -> tuple[float, int, float]:
    """Seconds the flow code ran (sum of Running segments), its number of task runs, and the
    seconds its task runs ran (their own code plus Prefect's state changes around it)."""
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
    return ran, len(tasks), sum(t.total_run_time.total_seconds() for t in tasks)


def _complaint_once(policy, number_hint: int) -> tuple[float, int, float, float]:
    from sqlalchemy import select

    from models import ApprovalTask, Complaint
    from models.db import session_scope
    from runtime.runs import start_complaint_run, wake_task
    from tasks.approvals import decide
    from tasks.complaint.intake import file_complaint, parse_complaint

    data = parse_complaint(policy, channel="phone", customer=f"基准{number_hint}",
                           phone="13800000000", content="酒的口感不对", email="b@bench.example")
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
    ran, tasks, in_tasks = _settled_segments(run_id)
    return ran, tasks, wall, in_tasks


def _settled_segments(run_id: str) -> tuple[float, int, float]:
    """:func:`_segments` once the server has recorded every task run: their states reach it as
    events a moment after the flow run ends, so a count read at once can miss the last ones
    (and the bare flow would then be given fewer tasks). kefu's server writes them at least
    every second (runtime/settings.TASK_RUN_RECORDER): two reads further apart agree."""
    last = asyncio.run(_segments(run_id))
    for _ in range(12):
        time.sleep(1.25)
        now = asyncio.run(_segments(run_id))
        if now[1] == last[1] and now[2] == last[2]:
            return now
        last = now
    return last


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


def _bare_once(task_count: int) -> tuple[float, float, float]:
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
    ran, _, in_tasks = _settled_segments(str(state.state_details.flow_run_id))
    return ran, wall, in_tasks


def measure(rounds: int = 5) -> dict:
    """Needs a running stack (server and worker). Medians over ``rounds``."""
    from policy.load import load_policy

    policy = load_policy()
    complaint, bare = [], []
    for i in range(rounds):
        # Rounds alternate, so a machine that slows down or speeds up meanwhile weighs on both.
        # Each round's bare flow runs as many tasks as that round's complaint did (a decision
        # that lands before the run suspends saves a segment, and with it the re-run steps).
        complaint.append(_complaint_once(policy, i))
        bare.append(_bare_once(complaint[-1][1]))
    c_ran = statistics.median(c[0] for c in complaint)
    b_ran = statistics.median(b[0] for b in bare)
    return {
        "task_runs_per_complaint": statistics.median(c[1] for c in complaint),
        "complaint_flow_code_s": round(c_ran, 3),
        "complaint_in_task_runs_s": round(statistics.median(c[3] for c in complaint), 3),
        "complaint_wall_with_instant_decisions_s": round(statistics.median(c[2] for c in complaint), 3),
        "bare_flow_code_s": round(b_ran, 3),
        "bare_in_task_runs_s": round(statistics.median(b[2] for b in bare), 3),
        "bare_flow_wall_s": round(statistics.median(b[1] for b in bare), 3),
        "ratio_complaint_to_bare": round(c_ran / b_ran, 2) if b_ran else None,
        "round_ratios": [round(c[0] / b[0], 2) for c, b in zip(complaint, bare, strict=True)],
        "rounds": rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with stack() as running:
        result = measure(args.rounds)
    emit(result, running.folder, "flow_overhead", header=("measure", "seconds"))


if __name__ == "__main__":
    main()
