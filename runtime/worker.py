"""``kefu worker``: serve the deployments declared in prefect.yaml, in one process.

Each flow run executes in a short-lived subprocess and exits when it suspends for a human
decision, so a thousand waiting cases hold no process. Beside serving, the worker reconciles
every few seconds (runs for cases filed, and decisions taken, while Prefect was down) and
reschedules runs whose process died.

Several workers (on one machine or many, against one Prefect server and one kefu database)
serve the same deployments: Prefect gives each run to one of them (a run enters Pending once;
the other runner's proposal is refused). The chores besides serving are done by one worker at a
time, the holder of the ``reconcile`` lease in kefu's database, and a run is rescheduled only
when the process recorded for it is gone (runtime/leases.py), so no worker touches another's
live runs. One worker is the embedded default; more are the same command started again.
``kefu worker --pool kefu`` (runtime/pool_worker.py) runs Prefect's process worker on a work
pool instead, around the same chores (:func:`chores_forever`, :func:`serve_as_worker`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml

from runtime.settings import configure

configure()

from prefect import Flow  # noqa: E402
from prefect.runner import Runner  # noqa: E402

from runtime import schedules as schedule_file  # noqa: E402

log = logging.getLogger("kefu.worker")


def declared_deployments(path: Path | None = None) -> list[tuple[Flow, dict]]:
    """(flow, deployment settings) for every deployment in prefect.yaml; a bad schedule raises
    ScheduleError naming the deployment and the field."""
    path = path or schedule_file.prefect_yaml()
    checked = schedule_file.declared(path)
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    made = []
    for entry in spec["deployments"]:
        module_path, _, attribute = entry["entrypoint"].partition(":")
        module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, attribute)
        schedules = schedule_file.cron_schedules(checked.get(entry["name"], []))
        made.append((flow, {
            "name": entry["name"], "tags": entry.get("tags") or [],
            "parameters": entry.get("parameters") or {},
            "description": entry.get("description"), "schedules": schedules or None,
        }))
    return made


class _FileWatch:
    """prefect.yaml's modification time as it was when the worker read it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = self._stamp()

    def _stamp(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    def changed(self) -> bool:
        stamp = self._stamp()
        if stamp == self.seen:
            return False
        self.seen = stamp
        return True


def lease_seconds(every: float) -> float:
    """How long a worker's leases last without renewal: three rounds, at least 15 s. A worker on
    another machine that dies is replaced after this; on the same machine at once."""
    return max(15.0, 3 * every)


def chores(holder: str, every: float, starting: bool = False) -> list[str]:
    """One round of what a worker does besides serving: renew its presence and, if it holds
    the ``reconcile`` lease (one worker of all at a time), reconcile and restart dead runs.
    Starting, with no other worker alive, every run without a live process is rescheduled at
    once. Returns the names of the runs rescheduled."""
    from runtime import leases
    from runtime.reconcile import reconcile
    from runtime.runs import restart_dead_runs

    ttl = lease_seconds(every)
    leases.acquire(f"worker {holder}", holder, ttl)
    if not leases.acquire(leases.RECONCILE, holder, ttl):
        return []
    alone = starting and not leases.other_live_workers(holder)
    names = restart_dead_runs(holder, alone=alone)
    if not starting:
        reconcile(patient=True)
    return names


async def chores_forever(holder: str, every: float,
                        before_round: Callable[[], Awaitable[None]] | None = None) -> None:
    """A worker's chores every ``every`` seconds, once the complaint deployment is registered
    (by the runner, or by ``prefect deploy``): one loop for both kinds of worker (runner and
    work-pool). ``before_round`` is the runner's look at prefect.yaml."""
    from runtime.runs import PrefectUnavailable, wait_for_deployment

    while True:  # a pool worker may start before the admin's `kefu deploy`
        try:
            await asyncio.to_thread(wait_for_deployment)
            break
        except PrefectUnavailable as exc:
            log.warning("chores wait for the complaint deployment: %s", exc)
    while True:
        try:
            if before_round is not None:
                await before_round()
            for name in await asyncio.to_thread(chores, holder, every):
                log.warning("rescheduled %s: its flow-run process had died", name)
        except Exception as exc:  # the server may be restarting: try again next round
            log.warning("reconcile failed: %s", exc)
        await asyncio.sleep(every)


async def _apply_prefect_yaml(flow_names: dict[str, str]) -> None:
    """An edit of prefect.yaml while the worker runs: its schedules go to the server now (new
    or removed deployments need a restart, and the log says so)."""
    try:
        changed = await schedule_file.apply(flow_names)
    except schedule_file.ScheduleError as exc:
        log.error("prefect.yaml changed but cannot be used; the schedules stay as they were: %s",
                  exc)
        return
    declared = set(schedule_file.declared())
    if declared != set(flow_names):
        log.warning("prefect.yaml now declares deployments %s; restart `kefu worker` to serve "
                    "them", ", ".join(sorted(declared ^ set(flow_names))))
    for line in changed:
        log.warning("prefect.yaml changed: schedule %s", line)


def worker_limit(default: int = 8) -> int:
    """How many flow-run processes run at once (``KEFU_WORKER_PROCESSES``; *policy silent*):
    a batch of a thousand filings then waits its turn instead of starting a thousand
    interpreters. The runner's default, 8, is what kept two cores busiest in a burst: its runs
    are forked from one warm process and spend much of their time waiting on the Prefect
    server (100 complaints to their first wait: 4 processes 3.45/s, 8 4.73/s, 12 4.34/s;
    ``python -m bench.burst``, issue 20 §5). A pool worker's runs are fresh interpreters:
    its default stays 4."""
    return int(os.environ.get("KEFU_WORKER_PROCESSES") or default)


def poll_seconds() -> float:
    """How often the worker asks the server for runs to start (``KEFU_WORKER_POLL``, default
    0.5 s): most of the wait between a decision and its case running again. Prefect's own
    ``PREFECT_RUNNER_POLL_FREQUENCY`` takes whole seconds; at 1 s (±30 %) a decided case waited
    0.6 s for the look at the median, and about 4 % of a core went on looking while idle, 4.5 %
    at 0.5 s (measured with /proc over 30 idle seconds)."""
    raw = os.environ.get("KEFU_WORKER_POLL") or "0.5"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0
    if not 0 < seconds <= 60:
        raise SystemExit(f"KEFU_WORKER_POLL: expected seconds between 0 and 60, got {raw!r}")
    return seconds


class _Runner(Runner):
    """Prefect's runner, stopped by kefu: SIGTERM (systemd, docker) and Ctrl-C both end the
    worker cleanly, instead of Prefect's handler calling its async stop from a signal."""

    stop_requested: asyncio.Event

    def handle_sigterm(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self._loop_for_stop.call_soon_threadsafe(self.stop_requested.set)


async def _replaced_server_schedules(deployments: list[tuple[Flow, dict]]) -> list[str]:
    """Server schedules (changed in the Prefect UI/API) that prefect.yaml is about to replace."""
    from prefect import get_client

    declared = schedule_file.declared()
    lines = []
    async with get_client() as client:
        for flow, settings in deployments:
            have = await schedule_file.server_schedules(client, flow.name, settings["name"])
            want = declared.get(settings["name"], [])
            if have is not None and sorted(map(str, have)) != sorted(map(str, want)):
                lines.append(f"{settings['name']}: {', '.join(map(str, have)) or 'none'} on the "
                             f"server → {', '.join(map(str, want)) or 'none'} from prefect.yaml")
    return lines


def describe(deployments: list[tuple[Flow, dict]]) -> list[str]:
    """What the worker serves, one line a deployment, for its start banner."""
    declared = schedule_file.declared()
    return [f"  {settings['name']:<22} {', '.join(map(str, declared.get(settings['name'], [])))}"
            .rstrip() for _, settings in deployments]


def reconcile_seconds() -> float:
    """``KEFU_RECONCILE_EVERY``: seconds between a worker's rounds of chores (tests use 1)."""
    return float(os.environ.get("KEFU_RECONCILE_EVERY") or 5)


async def run(deployments: list[tuple[Flow, dict]], holder: str,
              reconcile_every: float | None = None, limit: int | None = None,
              poll: float | None = None) -> None:
    from runtime import prefect_tuning

    reconcile_every = reconcile_every or reconcile_seconds()
    limit = limit or worker_limit()
    prefect_tuning.poll_for_at_most(2 * limit)
    runner = _Runner(pause_on_shutdown=False, limit=limit, query_seconds=poll or poll_seconds())
    watched = _FileWatch(schedule_file.prefect_yaml())  # before its schedules go to the server
    runner.stop_requested = asyncio.Event()
    runner._loop_for_stop = asyncio.get_running_loop()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.stop_requested.set)
    try:
        for line in await _replaced_server_schedules(deployments):
            log.warning("schedule changed outside prefect.yaml is replaced: %s "
                        "(make lasting changes with `kefu schedules set`)", line)
    except Exception as exc:  # the server may not be up yet
        log.warning("could not compare the server's schedules with prefect.yaml: %s", exc)
    for flow, settings in deployments:
        # Served as flow objects (not entrypoints): each run starts from the imported flow
        # instead of `python -m prefect.engine` importing everything again. Each flow writes
        # down its process when it enters Running (its on_running hook, runtime/leases.py).
        await runner.aadd_flow(flow, **settings)
    flow_names = {settings["name"]: flow.name for flow, settings in deployments}

    async def look_at_prefect_yaml() -> None:
        if watched.changed():
            await _apply_prefect_yaml(flow_names)

    await until_one_ends([runner.start(), chores_forever(holder, reconcile_every,
                                                        look_at_prefect_yaml)],
                         runner.stop_requested.wait())
    print("kefu worker stopped; runs in progress are picked up again at the next start",
          flush=True)


async def until_one_ends(work: list[Awaitable[None]], stop: Awaitable[object]) -> None:
    """Run ``work`` (serving, the chores) until one of it ends or ``stop`` (a signal) comes;
    cancel the rest, and raise what a piece of work raised. Both kinds of worker end this way."""
    tasks = [asyncio.ensure_future(piece) for piece in work]
    stopping = asyncio.ensure_future(stop)
    done, _ = await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
    for task in [*tasks, stopping]:
        task.cancel()
    await asyncio.gather(*tasks, stopping, return_exceptions=True)
    for task in done:
        if task is not stopping and not task.cancelled() and task.exception():
            raise task.exception()


def start_runs_from_a_warm_process() -> None:
    """Start each flow run by forking a process that has already imported Prefect and our
    flows, instead of spawning a fresh interpreter that imports them again (≈ 1.4 s of CPU
    per start on a 2-core machine): a decided case runs again sooner, and a thousand
    filings cost less. Prefect 3.8 spawns its flow-run subprocesses from
    ``multiprocessing.get_context("spawn")`` in ``prefect.flow_engine``; the runner only
    joins them, reads their exit code and signals their pid, which a forked process serves
    the same way. ``KEFU_WORKER_SPAWN=1`` restores Prefect's own behaviour."""
    import multiprocessing
    import multiprocessing.forkserver
    import types

    import prefect.flow_engine

    if os.environ.get("KEFU_WORKER_SPAWN") == "1":
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["runtime.settings", "prefect.flow_engine", *sorted(_flow_modules()), "runtime.warm"])
    prefect.flow_engine.multiprocessing = types.SimpleNamespace(  # type: ignore[assignment]
        get_context=lambda method=None: context, context=multiprocessing.context)
    from runtime import prefect_tuning

    prefect_tuning.runs_take_settings_from_their_environment()
    # Start it now, so its warm-up (runtime/warm.py, with the rehearsal) happens while the
    # worker starts, not in front of the first case.
    multiprocessing.forkserver.ensure_running()


def _flow_modules(path: Path | None = None) -> set[str]:
    spec = yaml.safe_load((path or schedule_file.prefect_yaml()).read_text(encoding="utf-8"))
    return {e["entrypoint"].partition(":")[0].removesuffix(".py").replace("/", ".")
            for e in spec["deployments"]}


def main() -> None:
    poll = poll_seconds()  # a bad setting stops the worker before it starts anything
    try:
        deployments = declared_deployments()
    except schedule_file.ScheduleError as exc:
        raise SystemExit(f"error: {exc}") from None
    from runtime.settings import api_url

    print(f"kefu worker: Prefect at {api_url()}, {len(deployments)} deployments from "
          f"{schedule_file.prefect_yaml()}:", *describe(deployments), sep="\n", flush=True)
    announce_frozen_clock()
    serve_as_worker(lambda holder: run(deployments, holder, poll=poll),
                    before=start_runs_from_a_warm_process)


def announce_frozen_clock() -> None:
    if os.environ.get("KEFU_NOW"):  # every flow-run process inherits the worker's environment
        from policy.load import load_policy
        from tasks.deadlines import local_time, now

        print(f"clock: frozen by KEFU_NOW at {local_time(now(), load_policy().calendar.timezone)}"
              f" for every flow run this worker starts (the sweep included)", flush=True)


def serve_as_worker(serve: Callable[[str], Awaitable[None]],
                    before: Callable[[], None] | None = None) -> None:
    """What every kind of kefu worker does around its serving: take a holder name (inherited by
    every flow-run process it starts, which records it: runtime/leases.py), reschedule the runs
    left without a process when it starts, serve until stopped, and give its leases up."""
    from runtime import leases

    holder = leases.new_holder()
    os.environ[leases.HOLDER_ENV] = holder
    if before is not None:
        before()
    try:
        for name in chores(holder, reconcile_seconds(), starting=True):
            log.warning("rescheduled %s: the worker running it had died", name)
    except Exception as exc:  # the server may not be up yet; the next round tries again
        log.warning("could not look for orphaned runs: %s", exc)
    try:
        asyncio.run(serve(holder))
    finally:
        try:
            leases.release(holder)
        except Exception as exc:  # the database is down: the leases lapse by themselves
            log.warning("could not release this worker's leases: %s", exc)


if __name__ == "__main__":
    main()
