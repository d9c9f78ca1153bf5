"""kefu's flows under a standard Prefect process work pool (issue 20 §2).

The admin deploys prefect.yaml's deployments to the pool, once and after each change of
prefect.yaml or upgrade: ``kefu deploy`` makes sure the work pools prefect.yaml names exist
(type ``process``) and records prefect.yaml's deployments in them as ``prefect deploy --all``
would, through Prefect's client (that command stops after its first deployment on 3.8.8 here:
README, "More than one machine"), with ``KEFU_HOME`` resolved to kefu's directory. Each worker
machine then runs ``kefu worker --pool kefu`` (as many times as it likes): Prefect's own
:class:`~prefect.workers.process.ProcessWorker` polling the pool — each flow run a
``python -m prefect.engine`` subprocess that changes into ``KEFU_HOME`` (prefect.yaml's pull
step) and imports its flow from the entrypoint — and, in the same process, the chores every
kefu worker does (runtime/worker.py :func:`chores_forever`, under the same leases in kefu's
database). ``prefect worker start --pool kefu`` alone runs the flows as
well, but nobody then restarts a run whose worker died, nor applies what Prefect missed.

Each flow records its process when it enters Running (its ``on_running`` hook), inheriting the
worker's holder name through the environment the process worker passes on, so a run is
rescheduled only when its process is gone, and a pool worker picks the rescheduled run up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from functools import partial
from pathlib import Path

import yaml

from runtime.settings import configure

configure()

from runtime import schedules as schedule_file  # noqa: E402
from runtime.worker import (  # noqa: E402
    announce_frozen_clock,
    chores_forever,
    poll_seconds,
    reconcile_seconds,
    serve_as_worker,
    until_one_ends,
    worker_limit,
)

log = logging.getLogger("kefu.worker")

DEFAULT_POOL = "kefu"
# The work pool ``kefu worker --pool`` polls when the option names none.
POOL_ENV = "KEFU_WORK_POOL"
# The directory flow-run processes change into before importing their flow (prefect.yaml's pull
# step): kefu's own checkout on each worker machine.
HOME_ENV = "KEFU_HOME"


def kefu_home() -> Path:
    """kefu's directory: where prefect.yaml and the flows' entrypoints are."""
    return schedule_file.prefect_yaml().resolve().parent


def declared_pools(path: Path | None = None) -> list[str]:
    """The work pools prefect.yaml's deployments name, in order."""
    spec = yaml.safe_load((path or schedule_file.prefect_yaml()).read_text(encoding="utf-8"))
    pools = [(entry.get("work_pool") or {}).get("name") for entry in spec["deployments"]]
    return list(dict.fromkeys(pool for pool in pools if pool))


async def ensure_pool(name: str) -> bool:
    """Create process work pool ``name`` unless it exists; True when it was created. A pool of
    another type is refused: a process worker cannot run its flow runs."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async with get_client() as client:
        try:
            pool = await client.read_work_pool(name)
        except ObjectNotFound:
            try:
                await client.create_work_pool(WorkPoolCreate(
                    name=name, type=ProcessWorker.type,
                    base_job_template=ProcessWorker.get_default_base_job_template()))
            except ObjectAlreadyExists:  # another worker created it meanwhile
                return False
            return True
    if pool.type != ProcessWorker.type:
        raise SystemExit(f"error: work pool {name!r} is of type {pool.type!r}; kefu's workers "
                         f"need a {ProcessWorker.type!r} pool")
    return False


async def apply_deployments(path: Path | None = None) -> list[str]:
    """Create or update every deployment of prefect.yaml in its work pool, as ``prefect
    deploy --all`` records it (entrypoint, pull step with ``{{ $KEFU_HOME }}`` resolved here,
    parameters and their schema, tags, description), then its schedules (runtime/schedules.py,
    as the runner applies them). Returns the deployments' names."""
    from prefect import get_client
    from prefect.utilities.callables import parameter_schema
    from prefect.utilities.templating import apply_values

    from runtime.worker import declared_deployments

    path = path or schedule_file.prefect_yaml()
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    pull_steps = apply_values(spec.get("pull") or [], os.environ, remove_notset=False)
    entries = {entry["name"]: entry for entry in spec["deployments"]}
    flow_names = {}
    async with get_client() as client:
        for flow, settings in declared_deployments(path):
            entry = entries[settings["name"]]
            flow_id = await client.create_flow_from_name(flow.name)
            await client.create_deployment(
                flow_id, settings["name"], entrypoint=entry["entrypoint"],
                work_pool_name=(entry.get("work_pool") or {}).get("name"),
                parameters=settings["parameters"], description=settings["description"],
                tags=settings["tags"], pull_steps=pull_steps,
                parameter_openapi_schema=parameter_schema(flow).model_dump_for_openapi(),
                enforce_parameter_schema=True)
            flow_names[settings["name"]] = flow.name
    await schedule_file.apply(flow_names, path)
    return list(flow_names)


def deploy() -> None:
    """``kefu deploy``: the work pools, then every deployment of prefect.yaml in its pool."""
    import httpx

    from runtime.settings import api_url

    os.environ.setdefault(HOME_ENV, str(kefu_home()))
    try:
        for pool in declared_pools():
            if asyncio.run(ensure_pool(pool)):
                print(f"created work pool {pool!r} (process)", flush=True)
        names = asyncio.run(apply_deployments())
    except httpx.HTTPError as exc:
        raise SystemExit(f"error: the Prefect server at {api_url()} did not answer "
                         f"({type(exc).__name__}): nothing more was deployed") from None
    print(f"deployed {len(names)} deployments from {schedule_file.prefect_yaml()}; flow runs "
          f"start in {os.environ[HOME_ENV]} on each worker machine", flush=True)


def pool_name(option: str | None) -> str:
    return option or os.environ.get(POOL_ENV) or DEFAULT_POOL


async def serve_pool(pool: str, holder: str, every: float | None = None,
                     limit: int | None = None, poll: float | None = None) -> None:
    """Prefect's process worker on ``pool`` and the chores, until SIGTERM or Ctrl-C."""
    from prefect.settings import PREFECT_WORKER_QUERY_SECONDS, temporary_settings
    from prefect.workers.process import ProcessWorker

    await ensure_pool(pool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Prefect's workers ask for runs every 10 s by default: a decided case would wait for it.
    with temporary_settings({PREFECT_WORKER_QUERY_SECONDS: poll or poll_seconds()}):
        worker = ProcessWorker(work_pool_name=pool, name=f"kefu {holder}",
                               limit=limit or worker_limit(default=4))
        await until_one_ends([worker.start(printer=partial(print, flush=True)),
                              chores_forever(holder, every or reconcile_seconds())], stop.wait())
    print("kefu worker stopped; runs in progress are picked up again by the pool's workers",
          flush=True)


def main(pool: str | None = None) -> None:
    from runtime.settings import api_url

    pool = pool_name(pool)
    poll = poll_seconds()  # a bad setting stops the worker before it starts anything
    # Flow-run processes inherit the worker's environment: the pull step reads KEFU_HOME.
    os.environ.setdefault(HOME_ENV, str(kefu_home()))
    print(f"kefu worker: Prefect at {api_url()}, work pool {pool!r} (deploy with `kefu deploy`), "
          f"flows from {os.environ[HOME_ENV]}", flush=True)
    announce_frozen_clock()
    serve_as_worker(lambda holder: serve_pool(pool, holder, poll=poll))
