"""Approval decided → its flow run running again: p50 and p95.

    .venv/bin/python -m bench.wake_latency [--cases 20]

Files the complaints, waits until each run is suspended on its handling decision, then, one
case at a time, records the decision as `kefu approvals decide` does (database first, then
resume) and reads from the server's state history when the resumed run entered Running.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from datetime import UTC, datetime

from bench.report import emit
from bench.stack import stack
from runtime.polling import until


async def _state(run_id: str) -> str:
    from prefect import get_client

    async with get_client() as client:
        return (await client.read_flow_run(run_id)).state.type.value


async def _running_since(run_id: str, after: datetime) -> tuple[datetime, ...] | None:
    """When the run was resumed (Scheduled), picked up (Pending) and entered Running after
    ``after`` (None: not yet)."""
    from prefect import get_client

    async with get_client() as client:
        states = await client.read_flow_run_states(run_id)

    def first(kind: str) -> datetime | None:
        times = sorted(s.timestamp for s in states if s.type.value == kind and s.timestamp > after)
        return times[0] if times else None

    running, pending = first("RUNNING"), first("PENDING")
    if running is None:
        return None
    return first("SCHEDULED") or pending or running, pending or running, running


def _wait(predicate, timeout: float, every: float = 0.05):
    return until(predicate, timeout=timeout, every=every,
                 failure=lambda waited: TimeoutError(f"bench: timed out after {waited:.0f} s"))


def _pending_handling(number: str) -> int | None:
    from sqlalchemy import select

    from models import ApprovalTask
    from models.db import session_scope

    with session_scope() as session:
        return session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.case_number == number, ApprovalTask.step == "handling",
            ApprovalTask.status == "pending"))


def measure(cases: int = 20) -> dict:
    """Needs a running stack (server and worker)."""
    from models.db import session_scope
    from policy.load import load_policy
    from runtime.runs import PrefectUnavailable, start_complaint_run, wake_task
    from tasks.approvals import decide
    from tasks.complaint.intake import file_complaint, parse_complaint

    policy = load_policy()
    waiting = []
    for i in range(cases):
        data = parse_complaint(policy, channel="phone", customer=f"唤醒{i}", phone="13800000000",
                               content="酒的口感不对", email="w@bench.example")
        number = file_complaint(policy, data).number
        waiting.append((number, start_complaint_run(number)))
    # Every run parked first: a decision then measures waking one run, not queueing behind
    # the worker's other runs (KEFU_WORKER_PROCESSES at once) still on their first steps.
    for _, run_id in waiting:
        _wait(lambda r=run_id: asyncio.run(_state(r)) == "PAUSED", timeout=180, every=0.25)
    latencies, picked_up, resumed, left_to_reconciler = [], [], [], 0
    for number, run_id in waiting:
        task_id = _wait(lambda n=number: _pending_handling(n), timeout=180)
        decided_at = datetime.now(UTC)
        with session_scope() as session:
            decide(session, policy, task_id, actor="chen.qe", decision="approve", comment="bench")
        try:
            wake_task(task_id)
        except PrefectUnavailable:
            # The decision is kept; the worker's reconciler wakes the run (as for a user), and
            # the time it takes counts.
            left_to_reconciler += 1
        running = _wait(lambda r=run_id, d=decided_at: asyncio.run(_running_since(r, d)),
                        timeout=60)
        resumed.append((running[0] - decided_at).total_seconds())
        picked_up.append((running[1] - decided_at).total_seconds())
        latencies.append((running[2] - decided_at).total_seconds())
    # The next wait (customer feedback) is reached too, so later benches see quiet runs.
    for _, run_id in waiting:
        _wait(lambda r=run_id: asyncio.run(_state(r)) == "PAUSED", timeout=180, every=0.25)
    latencies.sort()
    return {
        "cases": cases,
        "decided_to_running_p50_s": round(statistics.median(latencies), 3),
        "decided_to_running_p95_s": round(_p95(latencies), 3),
        "decided_to_running_max_s": round(latencies[-1], 3),
        # Where the time goes: the decision written and the run resumed; the worker picks it
        # up (its poll); the flow-run process is up and running the flow.
        "decided_to_resumed_p50_s": round(statistics.median(resumed), 3),
        "decided_to_picked_up_p50_s": round(statistics.median(picked_up), 3),
        "wakes_the_reconciler_did": left_to_reconciler,
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    with stack() as running:
        result = measure(args.cases)
    emit(result, running.folder, "wake_latency", header=("measure", "value"))


if __name__ == "__main__":
    main()
