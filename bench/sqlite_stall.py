"""The Prefect server's write stall on SQLite (issue 20 §3): how long one cheap write waits
while a burst of suspended complaint runs is resumed at once.

    .venv/bin/python -m bench.sqlite_stall [--cases 30] [--rounds 2] [--stock] [--trace]
        [--server-env KEY=VALUE ...] [--postgres URL]

Each round files ``--cases`` complaints, waits until every run is suspended on its handling
decision, records every decision (as ``kefu approvals decide`` does) and then wakes all the
runs at once from as many threads, and waits until each is suspended again on its next wait.
Meanwhile a probe writes one Prefect variable every 0.5 s and records how long each write
took: the longest is the figure (``max_write_s``; the busy timeout Prefect gives SQLite is 60 s).
A read that needs no database (``/health``) is timed beside it (``max_read_s``: when it waits
as long, the server's event loop itself was blocked). The server log's ``database is locked``
lines are counted. The server is started as kefu starts it (``runtime.server.command``);
``--stock`` starts plain ``prefect server start`` instead, the baseline.

``--trace`` loads a diagnostic hook into the server process only (a ``sitecustomize`` on its
``PYTHONPATH``): it records every SQLite transaction the server opens (``BEGIN IMMEDIATE`` or
``DEFERRED``) with the asyncio task that opened it, and on SIGUSR2 writes the transactions
open longer than 1 s and every asyncio task's stack to ``stall-tasks-N.txt`` (in the hook's
folder, printed as ``task_dumps``). When a probe
write has waited 10 s, the bench sends that signal and takes ``py-spy dump --native`` of the
server (``KEFU_PYSPY``, default /tmp/pyspy/bin/py-spy) into ``stall-pyspy-N.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.report import emit
from bench.stack import stack
from runtime.polling import until

HOOK = r'''
import os, sys, threading, time, traceback, io, signal, asyncio

_open = {}   # id(dbapi connection) -> (mode, t0, task, thread)


def _patch():
    from sqlalchemy import event
    from prefect.server.database import configurations as c

    original = c.AioSqliteConfiguration.begin_sqlite_stmt
    engines = set()

    def _end(conn):
        _open.pop(id(conn.connection.dbapi_connection), None)

    def begin_sqlite_stmt(self, conn):
        mode = c.SQLITE_BEGIN_MODE.get()
        result = original(self, conn)  # BEGIN IMMEDIATE returns once the write lock is held
        if mode is not None:
            try:
                task = asyncio.current_task()
            except RuntimeError:
                task = None
            _open[id(conn.connection.dbapi_connection)] = (mode, time.monotonic(), task,
                                                           threading.current_thread().name)
            engine = conn.engine
            if id(engine) not in engines:
                engines.add(id(engine))
                event.listen(engine, "commit", _end)
                event.listen(engine, "rollback", _end)
        return result

    c.AioSqliteConfiguration.begin_sqlite_stmt = begin_sqlite_stmt


def _chain(task, out):
    """Where a suspended task is: every coroutine down its await chain (a task's own stack
    shows only the outermost one)."""
    coro = task.get_coro()
    depth = 0
    while coro is not None and depth < 80:
        frame = (getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
                 or getattr(coro, "ag_frame", None))
        if frame is None:
            out.write(f"    awaiting {coro!r}\n")
            break
        out.write(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}\n")
        coro = (getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
                or getattr(coro, "ag_await", None))
        depth += 1
    else:
        if coro is not None:
            out.write(f"    awaiting {coro!r}\n")


def _dump(signum, frame):
    out = io.StringIO()
    now = time.monotonic()
    out.write(f"== dumped {time.strftime('%H:%M:%S')}; SQLite transactions begun (BEGIN "
              "returned) more than 1 s ago, oldest first\n")
    for key, (mode, t0, task, thread) in sorted(_open.items(), key=lambda kv: kv[1][1]):
        if now - t0 < 1:
            continue
        out.write(f"-- BEGIN {mode}, open {now - t0:.1f} s, thread {thread}, task {task!r}\n")
        if task is not None:
            _chain(task, out)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    tasks = asyncio.all_tasks(loop) if loop else set()
    out.write(f"\n== {len(tasks)} asyncio tasks\n")
    for task in tasks:
        out.write(f"-- {task!r}\n")
        _chain(task, out)
    folder = os.environ["KEFU_STALL_HOOK"]
    n = len([p for p in os.listdir(folder) if p.startswith("stall-tasks-")]) + 1
    with open(os.path.join(folder, f"stall-tasks-{n}.txt"), "w") as f:
        f.write(out.getvalue())


def _wait_for_prefect():
    for _ in range(1200):
        if "prefect.server.database.configurations" in sys.modules:
            try:
                _patch()
            except Exception:
                traceback.print_exc()
            return
        time.sleep(0.05)


if os.environ.get("KEFU_STALL_HOOK"):
    signal.signal(signal.SIGUSR2, _dump)
    threading.Thread(target=_wait_for_prefect, daemon=True).start()
'''


class Probe:
    """One cheap write (a Prefect variable's value) every ``every`` seconds, and one read (the
    server's health endpoint, no database) as often; records each one's latency, and calls
    ``on_hold`` once per write still waiting after ``hold`` s."""

    def __init__(self, api: str, on_hold, every: float = 0.5, hold: float = 10.0):
        self.api, self.on_hold, self.every, self.hold = api, on_hold, every, hold
        self.latencies: list[float] = []
        self.read_latencies: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._in_flight: float | None = None
        self._threads = [threading.Thread(target=self._write, daemon=True),
                         threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._watch, daemon=True)]

    def __enter__(self) -> Probe:
        with httpx.Client(timeout=120) as client:
            client.post(f"{self.api}/variables/", json={"name": "kefu_stall_probe", "value": 0})
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=130)

    def _write(self) -> None:
        with httpx.Client(timeout=120) as client:
            i = 0
            while not self._stop.is_set():
                i += 1
                started = time.monotonic()
                self._in_flight = started
                try:
                    response = client.patch(f"{self.api}/variables/name/kefu_stall_probe",
                                            json={"value": i})
                    if response.status_code >= 400:
                        self.errors += 1
                except httpx.HTTPError:
                    self.errors += 1
                self._in_flight = None
                self.latencies.append(time.monotonic() - started)
                self._stop.wait(max(0.0, self.every - (time.monotonic() - started)))

    def _read(self) -> None:
        with httpx.Client(timeout=120) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                with contextlib.suppress(httpx.HTTPError):
                    client.get(f"{self.api}/health")
                self.read_latencies.append(time.monotonic() - started)
                self._stop.wait(max(0.0, self.every - (time.monotonic() - started)))

    def _watch(self) -> None:
        reported = None
        while not self._stop.wait(0.25):
            started = self._in_flight
            if started is not None and started != reported and \
                    time.monotonic() - started > self.hold:
                reported = started
                self.on_hold()


def _server_pids(leader: int) -> list[int]:
    """The server process and its descendants (its process group)."""
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(leader)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _state(run_id: str) -> str:
    """The run's state type; "unknown" while the server does not answer (a stall)."""
    from prefect import get_client

    async def read() -> str:
        async with get_client() as client:
            return (await client.read_flow_run(run_id)).state.type.value

    try:
        return asyncio.run(read())
    except Exception:  # noqa: BLE001 - timed out or refused during a hold: look again
        return "unknown"


def _start(number: str, refused: list) -> str:
    """Start the case's run; while the server does not answer, again (the start is idempotent
    per case, as the worker's reconciler relies on)."""
    from runtime.runs import PrefectUnavailable, start_complaint_run

    for _ in range(10):
        try:
            return start_complaint_run(number)
        except PrefectUnavailable:
            refused.append(number)
    return start_complaint_run(number)


def _wait(predicate, timeout: float, every: float = 0.25):
    return until(predicate, timeout=timeout, every=every,
                 failure=lambda waited: TimeoutError(f"bench: timed out after {waited:.0f} s"))


def _round(policy, cases: int, round_no: int) -> dict:
    from sqlalchemy import select

    from models import ApprovalTask
    from models.db import session_scope
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.approvals import decide
    from tasks.complaint.intake import file_complaint, parse_complaint

    started = time.monotonic()
    runs, refused = [], []
    for i in range(cases):
        data = parse_complaint(policy, channel="phone", customer=f"锁{round_no}-{i}",
                               phone="13800000000", content="酒的口感不对",
                               email="s@bench.example")
        number = file_complaint(policy, data).number
        runs.append((number, _start(number, refused)))
    for _, run_id in runs:
        _wait(lambda r=run_id: _state(r) == "PAUSED", timeout=600)
    parked = time.monotonic()
    task_ids = []
    for number, _ in runs:
        with session_scope() as session:
            task_id = session.scalar(select(ApprovalTask.id).where(
                ApprovalTask.case_number == number, ApprovalTask.step == "handling",
                ApprovalTask.status == "pending"))
            decide(session, policy, task_id, actor="chen.qe", decision="approve",
                   comment="bench")
        task_ids.append(task_id)

    def wake(task_id: int) -> bool:
        try:
            wake_task(task_id)
            return True
        except PrefectUnavailable:
            return False  # the decision is kept; the worker's reconciler wakes it

    burst = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(task_ids)) as pool:
        woken = sum(pool.map(wake, task_ids))
    for _, run_id in runs:  # resumed, ran, and parked again on its next wait
        _wait(lambda r=run_id: _state(r) == "PAUSED", timeout=600)
    return {"to_first_wait_s": round(parked - started, 1),
            "burst_to_next_wait_s": round(time.monotonic() - burst, 1),
            "woken_by_bench": woken, "starts_refused": len(refused)}


def measure(cases: int, rounds: int, folder: Path, server_pid: int, pyspy: str) -> dict:
    from policy.load import load_policy
    from runtime.settings import api_url

    holds = []

    def on_hold() -> None:
        holds.append(time.monotonic())
        n = len(holds)
        pids = _server_pids(server_pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR2)
        if Path(pyspy).exists():
            # three dumps 3 s apart: a thread stuck in one place stays there. --native (the
            # C stack of a thread blocked in SQLite) when py-spy can merge it, else Python only
            with (folder / f"stall-pyspy-{n}.txt").open("w") as out:
                for _ in range(3):
                    for pid in pids:
                        out.write(f"===== pid {pid} at {time.strftime('%H:%M:%S')}\n")
                        out.flush()
                        for native in (["--native"], []):
                            done = subprocess.run([pyspy, "dump", *native, "--pid", str(pid)],
                                                  stdout=out, stderr=subprocess.DEVNULL,
                                                  timeout=60)
                            if done.returncode == 0:
                                break
                    time.sleep(3)
        print(f"hold {n}: a write waited > 10 s; dumps in {folder}", file=sys.stderr)

    policy = load_policy()
    per_round = []
    load = os.getloadavg()
    with Probe(api_url(), on_hold) as probe:
        for round_no in range(1, rounds + 1):
            per_round.append(_round(policy, cases, round_no))
            print(f"round {round_no}: {per_round[-1]}", file=sys.stderr)
    log = (folder / "prefect" / "server.log").read_text(errors="replace")
    latencies = sorted(probe.latencies)
    return {
        "cases_per_round": cases, "rounds": rounds,
        "writes": len(latencies),
        "max_write_s": round(latencies[-1], 2),
        "p99_write_s": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 3),
        "writes_over_1s": sum(v > 1 for v in latencies),
        "writes_over_10s": sum(v > 10 for v in latencies),
        "write_errors": probe.errors,
        "max_read_s": round(max(probe.read_latencies), 2),
        "database_is_locked_in_log": log.count("database is locked"),
        "holds_dumped": len(holds),
        "load_before": round(load[0], 2), "load_after": round(os.getloadavg()[0], 2),
        "rounds_detail": per_round,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--trace", action="store_true",
                        help="load the diagnostic hook into the server (task stacks on a hold)")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for the server (and the rest of the stack)")
    parser.add_argument("--stock", action="store_true",
                        help="start the server as plain `prefect server start` (the stall's "
                             "baseline) instead of kefu's runtime.prefect_server")
    parser.add_argument("--postgres", metavar="URL",
                        help="Prefect's own database on PostgreSQL (KEFU_PREFECT_DATABASE_URL)")
    args = parser.parse_args()
    for pair in args.server_env:
        key, _, value = pair.partition("=")
        os.environ[key] = value
    if args.postgres:
        os.environ["KEFU_PREFECT_DATABASE_URL"] = args.postgres
    if args.stock:
        from runtime import server

        server.command = lambda host, port: [sys.executable, "-m", "prefect", "server", "start",
                                             "--host", host, "--port", str(port)]
    pyspy = os.environ.get("KEFU_PYSPY", "/tmp/pyspy/bin/py-spy")
    hook = None
    if args.trace:
        import tempfile

        hook = Path(tempfile.mkdtemp(prefix="kefu-stall-hook-"))
        (hook / "sitecustomize.py").write_text(HOOK)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
        os.environ["KEFU_STALL_HOOK"] = str(hook)  # where the server writes its task dumps
    with stack() as running:

        def stop(*_) -> None:  # SIGTERM: the wake threads may be blocked on the server
            running.stop_worker()
            from runtime import server

            server.stop()
            os._exit(143)

        signal.signal(signal.SIGTERM, stop)
        result = measure(args.cases, args.rounds, running.folder, running.server_pid(), pyspy)
    result["folder"] = str(running.folder)
    if hook:
        result["task_dumps"] = str(hook)
    emit(result, running.folder, "sqlite_stall", header=("measure", "value"))


if __name__ == "__main__":
    main()
