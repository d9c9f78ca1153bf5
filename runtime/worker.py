"""``kefu worker``: serve the deployments declared in prefect.yaml, in one process.

Each flow run executes in a short-lived subprocess and exits when it suspends for a human
decision, so a thousand waiting cases hold no process. Beside serving, the worker reconciles
every few seconds (runs for cases filed, and decisions taken, while Prefect was down).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from pathlib import Path

import yaml

from models.db import PROJECT_ROOT
from runtime.settings import configure

configure()

from prefect import aserve  # noqa: E402
from prefect.client.schemas.schedules import CronSchedule  # noqa: E402

log = logging.getLogger("kefu.worker")
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


def declared_deployments(path: Path = PREFECT_YAML) -> list:
    """RunnerDeployments for every deployment in prefect.yaml."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    made = []
    for entry in spec["deployments"]:
        module_path, _, attribute = entry["entrypoint"].partition(":")
        module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, attribute)
        schedules = [CronSchedule(cron=s["cron"], timezone=s.get("timezone", "UTC"))
                     for s in entry.get("schedules") or [] if s.get("active", True)]
        made.append(flow.to_deployment(
            name=entry["name"], tags=entry.get("tags") or [],
            parameters=entry.get("parameters") or {}, description=entry.get("description"),
            schedules=schedules or None,
        ))
    return made


async def _reconcile_forever(every: float) -> None:
    from runtime.runs import reconcile, wait_for_deployment

    await asyncio.to_thread(wait_for_deployment)
    while True:
        try:
            await asyncio.to_thread(reconcile)
        except Exception as exc:  # the server may be restarting: try again next round
            log.warning("reconcile failed: %s", exc)
        await asyncio.sleep(every)


async def run(deployments: list, reconcile_every: float = 5.0, limit: int | None = None) -> None:
    await asyncio.gather(
        aserve(*deployments, pause_on_shutdown=False, limit=limit),
        _reconcile_forever(reconcile_every),
    )


def main() -> None:
    from runtime.runs import recover_orphaned_runs

    # Built before the event loop starts: to_deployment is synchronous only outside one.
    deployments = declared_deployments()
    try:
        for name in recover_orphaned_runs():
            log.warning("rescheduled %s: the worker running it had died", name)
    except Exception as exc:  # the server may not be up yet; the runs wait for the next start
        log.warning("could not look for orphaned runs: %s", exc)
    asyncio.run(run(deployments))


if __name__ == "__main__":
    main()
