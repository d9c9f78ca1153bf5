"""A burst of complaints to their first human wait, and bursts of decisions, on Prefect-on-SQLite
and Prefect-on-PostgreSQL side by side (issue 20 §5 and its "Must show").

    .venv/bin/python -m bench.burst [--cases 500] [--decisions 50] [--at-once 10]
                                    [--backend sqlite|postgresql|both]

Each backend gets a stack of its own (bench/stack.py; "postgresql" puts Prefect's database and
kefu's on temporary PostgreSQL databases), measured in a subprocess of its own so that no
Prefect setting of one stack leaks into the other. On each:

- **burst**: ``kefu complaint import`` of ``--cases`` complaints with the worker running, as a
  user imports a file; the time from the command's start until every run is suspended on its
  first human wait (the handling decision), in complaints/s; the import's own rate (intake);
  CPU seconds of the Prefect server, the worker with its flow-run processes, and the importer;
  and the "database is locked" lines the server logged meanwhile;
- **decided → running**: ``--decisions`` of those cases decided ``--at-once`` at a time, each
  on a thread of its own as ``kefu approvals decide`` does (the decision in kefu's database,
  then the run woken); from the decision until its run entered Running again (Prefect's state
  history), p50/p95/max. The next burst of decisions starts when the last one's runs have
  parked again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from runtime.polling import until

KEFU = [sys.executable, "-m", "cli.main"]
BACKENDS = ("sqlite", "postgresql")
TICK = os.sysconf("SC_CLK_TCK")


def _complaint(i: int) -> dict:
    return {"channel": "phone", "customer": f"突发{i}", "phone": "13800000000",
            "content": "酒的口感不对", "email": f"burst{i}@bench.example"}


def tree_cpu_s(root: int) -> float:
    """CPU seconds of a process and every descendant alive now, with what they reaped
    (a flow-run process that ended counts in the fork server that waited for it)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(v) for v in fields[11:15]) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


async def _flow_runs(ids: list[str]):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    runs = []
    async with get_client() as client:
        for start in range(0, len(ids), 200):
            runs += await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=ids[start:start + 200])), limit=200,
                sort=FlowRunSort.ID_DESC)
    return runs


def _paused(ids: list[str]) -> list:
    return [r for r in asyncio.run(_flow_runs(ids)) if r.state and r.state.type.value == "PAUSED"]


def _locked_lines(log: Path, since: int) -> int:
    with log.open("rb") as f:
        f.seek(since)
        return f.read().count(b"database is locked")


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _runs_recorded(filed: list[dict], missing: list[str], timeout: float = 600.0) -> None:
    """Fill in the run ids the worker's reconciler recorded for ``missing`` complaints."""
    from sqlalchemy import select

    from models import Complaint
    from models.db import session_scope

    def recorded() -> bool:
        with session_scope() as session:
            runs = dict(session.execute(select(Complaint.number, Complaint.flow_run_id)
                                        .where(Complaint.number.in_(missing))).all())
        for row in filed:
            row["flow_run_id"] = row["flow_run_id"] or runs.get(row["number"])
        return all(row["flow_run_id"] for row in filed)

    until(recorded, timeout=timeout, every=1.0,
          failure=lambda waited: TimeoutError(f"bench: runs not started after {waited:.0f} s"))


def burst(running, cases: int, progress=print) -> dict:
    """``kefu complaint import`` of ``cases`` complaints, worker running, until every run waits."""
    lines = running.folder / "burst.jsonl"
    lines.write_text("\n".join(json.dumps(_complaint(i), ensure_ascii=False)
                               for i in range(cases)), encoding="utf-8")
    log = running.folder / "prefect" / "server.log"
    log_from = _size(log)
    server_pid, worker_pid = running.server_pid(), running.worker.pid
    cpu_before = tree_cpu_s(server_pid), tree_cpu_s(worker_pid)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    started, started_at = time.perf_counter(), datetime.now(UTC)
    done = subprocess.run([*KEFU, "complaint", "import", str(lines), "--json"],
                          capture_output=True, text=True)
    filed_s = time.perf_counter() - started
    (running.folder / "import.log").write_text(done.stderr)
    if done.returncode:
        raise RuntimeError(f"kefu complaint import failed: {done.stderr[-2000:]}")
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    filed = json.loads(done.stdout)
    missing = [r["number"] for r in filed if not r["flow_run_id"]]
    progress(f"  {cases} filed in {filed_s:.1f} s; waiting for every run to park …")
    if missing:  # the import could not reach Prefect: the worker's reconciler starts them
        progress(f"  {len(missing)} runs not created by the import; waiting for the reconciler")
        _runs_recorded(filed, missing)
    ids = [r["flow_run_id"] for r in filed]
    seen = {"n": 0, "at": time.monotonic()}

    def all_parked() -> bool:
        n = len(_paused(ids))
        if time.monotonic() - seen["at"] >= 15:
            progress(f"  {n}/{cases} waiting after {time.perf_counter() - started:.0f} s")
            seen["at"] = time.monotonic()
        seen["n"] = n
        return n == cases

    until(all_parked, timeout=max(600.0, cases * 6.0), every=1.0,
          failure=lambda waited: TimeoutError(f"bench: {seen['n']}/{cases} waiting after "
                                              f"{waited:.0f} s"))
    wall_s = time.perf_counter() - started
    parked = _paused(ids)
    # Prefect's own timestamp of the last suspension, not the moment this loop looked.
    last = max(r.state.timestamp for r in parked)
    to_wait_s = min(wall_s, (last - started_at).total_seconds())
    server_cpu = tree_cpu_s(server_pid) - cpu_before[0]
    worker_cpu = tree_cpu_s(worker_pid) - cpu_before[1]
    importer_cpu = (children_after.ru_utime + children_after.ru_stime
                    - children_before.ru_utime - children_before.ru_stime)
    return {
        "cases": cases,
        "intake_per_s": round(cases / filed_s, 2),
        "filed_s": round(filed_s, 1),
        "to_first_wait_s": round(to_wait_s, 1),
        "burst_per_s": round(cases / to_wait_s, 2),
        "server_cpu_s": round(server_cpu, 1),
        "worker_cpu_s": round(worker_cpu, 1),
        "importer_cpu_s": round(importer_cpu, 1),
        "cpu_ms_per_complaint": {"server": round(1000 * server_cpu / cases),
                                 "worker": round(1000 * worker_cpu / cases),
                                 "importer": round(1000 * importer_cpu / cases)},
        "database_is_locked_lines": _locked_lines(log, log_from) if log.exists() else None,
        "runs_left_to_the_reconciler": len(missing),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "run_ids": ids,
        "numbers": [r["number"] for r in filed],
    }


def _decide_and_wake(number: str, policy) -> tuple[datetime, str]:
    """One decision as ``kefu approvals decide`` takes it: recorded, then the run woken."""
    from bench.wake_latency import _pending_handling
    from models.db import session_scope
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.approvals import decide

    task_id = _pending_handling(number)
    decided_at = datetime.now(UTC)
    with session_scope() as session:
        decide(session, policy, task_id, actor="chen.qe", decision="approve", comment="bench")
    try:
        return decided_at, wake_task(task_id)
    except PrefectUnavailable:  # the decision is kept; the worker's reconciler wakes the run
        return decided_at, "left to the reconciler"


async def _entered_running(ids: list[str], after: dict[str, datetime]) -> dict[str, tuple]:
    """For each run that entered Running since its decision: when it was resumed (Scheduled),
    picked up by the worker (Pending) and Running."""
    from prefect import get_client

    async with get_client() as client:
        found = {}
        for run_id in ids:
            states = await client.read_flow_run_states(run_id)

            def first(kind: str, states=states, run_id=run_id) -> datetime | None:
                times = sorted(s.timestamp for s in states
                               if s.type.value == kind and s.timestamp > after[run_id])
                return times[0] if times else None

            running = first("RUNNING")
            if running is not None:
                pending = first("PENDING") or running
                found[run_id] = (first("SCHEDULED") or pending, pending, running)
        return found


def _decision_round(group: list[tuple[str, str]], policy) -> tuple[list[tuple], int]:
    """Decide every case of ``group`` at once; ((decided → resumed, → picked up, → Running
    seconds) for each, wakes left to the reconciler), once their runs have parked again."""
    barrier = threading.Barrier(len(group))

    def one(number: str) -> tuple[datetime, str]:
        barrier.wait()
        return _decide_and_wake(number, policy)

    with ThreadPoolExecutor(len(group)) as pool:
        woken = list(pool.map(one, [n for n, _ in group]))
    reconciled = sum(1 for _, outcome in woken if outcome == "left to the reconciler")
    after = {run_id: decided_at for (_, run_id), (decided_at, _) in zip(group, woken, strict=True)}
    ids = [run_id for _, run_id in group]
    running: dict[str, tuple] = {}

    def all_running() -> bool:
        running.update(asyncio.run(_entered_running([i for i in ids if i not in running], after)))
        return len(running) == len(ids)

    until(all_running, timeout=120, every=0.25,
          failure=lambda waited: TimeoutError(f"bench: {len(ids) - len(running)} decided runs "
                                              f"not running after {waited:.0f} s"))
    # The next burst of decisions meets a quiet worker: these runs have parked again.
    until(lambda: len(_paused(ids)) == len(ids), timeout=300, every=0.5,
          failure=lambda waited: TimeoutError(f"bench: decided runs not parked again after "
                                              f"{waited:.0f} s"))
    return [tuple((t - after[i]).total_seconds() for t in running[i]) for i in ids], reconciled


def decisions(burst_result: dict, count: int, at_once: int, progress=print) -> dict:
    """``count`` of the burst's cases decided ``at_once`` at a time; decided → Running."""
    from policy.load import load_policy

    policy = load_policy()
    pairs = list(zip(burst_result["numbers"], burst_result["run_ids"], strict=True))[:count]
    took: list[tuple] = []
    reconciled = 0
    for start in range(0, len(pairs), at_once):
        times, left = _decision_round(pairs[start:start + at_once], policy)
        took += times
        reconciled += left
        progress(f"  {len(took)}/{len(pairs)} decided; slowest so far "
                 f"{max(t[2] for t in took):.2f} s")
    latencies = sorted(t[2] for t in took)
    return {
        "decisions": len(latencies), "at_once": at_once,
        "decided_to_running_p50_s": round(statistics.median(latencies), 3),
        "decided_to_running_p95_s": round(_p95(latencies), 3),
        "decided_to_running_max_s": round(latencies[-1], 3),
        # Where the time goes: the run resumed (the wake), picked up (the worker's poll and
        # free process slot), then its process up and running.
        "decided_to_resumed_p50_s": round(statistics.median(t[0] for t in took), 3),
        "decided_to_picked_up_p50_s": round(statistics.median(t[1] for t in took), 3),
        "decided_to_picked_up_max_s": round(max(t[1] for t in took), 3),
        "wakes_left_to_the_reconciler": reconciled,
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure_backend(backend: str, cases: int, count: int, at_once: int) -> dict:
    """In this process: one stack on ``backend``, its burst, then its decisions."""
    from bench.stack import stack

    def progress(line: str) -> None:
        print(f"[{backend}] {line.strip()}", file=sys.stderr, flush=True)

    with stack(backend=backend) as running:
        progress(f"burst of {cases} complaints …")
        result = burst(running, cases, progress)
        progress(f"{result['burst_per_s']}/s to the first wait; {count} decisions, "
                 f"{at_once} at a time …")
        result.update(decisions(result, min(count, cases), at_once, progress))
    for key in ("run_ids", "numbers"):
        result.pop(key)
    result["backend"] = backend
    return result


def measure(backends: tuple[str, ...] = BACKENDS, cases: int = 500, count: int = 50,
            at_once: int = 10) -> dict:
    """Each backend in a subprocess of its own, one after the other; {backend: figures}."""
    results = {}
    for backend in backends:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            done = subprocess.run(
                [sys.executable, "-m", "bench.burst", "--backend", backend, "--cases", str(cases),
                 "--decisions", str(count), "--at-once", str(at_once), "--json-to", out.name])
            text = Path(out.name).read_text()
        results[backend] = (json.loads(text) if done.returncode == 0 and text else
                            {"error": f"bench.burst --backend {backend} exited with "
                                      f"{done.returncode} (its output above says why)"})
    return results


def print_side_by_side(results: dict) -> None:
    names = list(results)
    rows = ["intake_per_s", "to_first_wait_s", "burst_per_s", "server_cpu_s", "worker_cpu_s",
            "importer_cpu_s", "database_is_locked_lines", "decisions",
            "decided_to_running_p50_s", "decided_to_running_p95_s", "decided_to_running_max_s",
            "decided_to_resumed_p50_s", "decided_to_picked_up_p50_s", "decided_to_picked_up_max_s",
            "wakes_left_to_the_reconciler", "load_average"]
    print(f"{'':<30}" + "".join(f"{n:>16}" for n in names))
    for row in rows:
        print(f"{row:<30}" + "".join(f"{results[n].get(row, results[n].get('error', ''))!s:>16}"
                                     for n in names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--at-once", type=int, default=10)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--json-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json_to:  # one backend, measured here, for measure() above
        result = measure_backend(args.backend, args.cases, args.decisions, args.at_once)
        Path(args.json_to).write_text(json.dumps(result))
        return
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results = measure(backends, args.cases, args.decisions, args.at_once)
    print_side_by_side(results)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
