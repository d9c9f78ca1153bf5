"""Schedules: ``prefect.yaml`` is the one source of truth, and the server follows it.

The worker serves exactly the deployments declared there, with their schedules. A schedule
changed in the Prefect UI or API lasts until the worker restarts or prefect.yaml changes; the
worker then says which server schedule it replaced. ``kefu schedules set/pause/resume`` edit
prefect.yaml (comments kept) and apply it to the running server at once, and a running worker
applies any edit of the file within a few seconds — no restart needed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from models.db import PROJECT_ROOT
from runtime.settings import configure

configure()

from prefect.client.schemas.schedules import CronSchedule  # noqa: E402
from pydantic import ValidationError  # noqa: E402

log = logging.getLogger("kefu.schedules")


class ScheduleError(ValueError):
    """prefect.yaml cannot be served; the message names the deployment and the field."""


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str
    active: bool = True

    def __str__(self) -> str:
        return f"{self.cron} ({self.timezone}){'' if self.active else ', paused'}"


def prefect_yaml() -> Path:
    """``KEFU_PREFECT_YAML``, else the project's prefect.yaml."""
    return Path(os.environ.get("KEFU_PREFECT_YAML") or PROJECT_ROOT / "prefect.yaml")


def _load(path: Path):
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: an edit keeps the admins' comments and layout
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml, yaml.load(path.read_text(encoding="utf-8"))


def declared(path: Path | None = None) -> dict[str, list[Schedule]]:
    """Every deployment's schedules, checked: a bad cron or time zone raises ScheduleError
    naming the file, the deployment and the field."""
    path = path or prefect_yaml()
    try:
        _, spec = _load(path)
    except Exception as exc:  # a YAML syntax error: ruamel says where
        raise ScheduleError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    found: dict[str, list[Schedule]] = {}
    for entry in spec.get("deployments") or []:
        name = entry.get("name")
        schedules = []
        for index, raw in enumerate(entry.get("schedules") or []):
            where = f"{path.name}: deployment {name!r}, schedules[{index + 1}]"
            schedule = Schedule(str(raw.get("cron", "")), str(raw.get("timezone", "UTC")),
                                bool(raw.get("active", True)))
            try:
                CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
            except ValidationError as exc:
                field = exc.errors()[0]["loc"][0]
                value = schedule.cron if field == "cron" else schedule.timezone
                hint = ("five fields: minute hour day month weekday, e.g. '0 8 * * 1'"
                        if field == "cron" else "an IANA time zone, e.g. 'Asia/Shanghai'")
                raise ScheduleError(f"{where}.{field}: {value!r} is not valid ({hint})") from None
            schedules.append(schedule)
        found[name] = schedules
    return found


def cron_schedules(schedules: list[Schedule]) -> list[CronSchedule]:
    return [CronSchedule(cron=s.cron, timezone=s.timezone) for s in schedules if s.active]


def edit(name: str, *, cron: str | None = None, timezone: str | None = None,
         active: bool | None = None, path: Path | None = None) -> list[Schedule]:
    """Change deployment ``name``'s first schedule in prefect.yaml (checked before it is
    written: a bad value leaves the file as it was)."""
    path = path or prefect_yaml()
    yaml, spec = _load(path)
    entry = next((e for e in spec.get("deployments") or [] if e.get("name") == name), None)
    if entry is None:
        names = ", ".join(e.get("name") for e in spec.get("deployments") or [])
        raise ScheduleError(f"deployment: {name!r} is not in {path.name} ({names})")
    if not entry.get("schedules"):
        if cron is None:
            raise ScheduleError(f"--cron: deployment {name!r} has no schedule yet; give one")
        entry["schedules"] = [{"cron": cron, "timezone": timezone or "Asia/Shanghai"}]
    first = entry["schedules"][0]
    for key, value in (("cron", cron), ("timezone", timezone), ("active", active)):
        if value is not None:
            first[key] = value
    draft = path.with_name(f".{path.name}.draft")
    with draft.open("w", encoding="utf-8") as handle:
        yaml.dump(spec, handle)
    try:
        checked = declared(draft)[name]
    except ScheduleError as exc:
        draft.unlink()
        raise ScheduleError(str(exc).replace(draft.name, path.name)) from None
    draft.replace(path)
    return checked


async def server_schedules(client, flow_name: str, name: str) -> list[Schedule] | None:
    """The deployment's schedules as the server has them; None when it is not registered."""
    from prefect.exceptions import ObjectNotFound

    try:
        deployment = await client.read_deployment_by_name(f"{flow_name}/{name}")
    except ObjectNotFound:
        return None
    return [Schedule(s.schedule.cron, s.schedule.timezone or "UTC", s.active)
            for s in deployment.schedules if isinstance(s.schedule, CronSchedule)]


async def apply(flow_names: dict[str, str], path: Path | None = None) -> list[str]:
    """Make the server's schedules those of prefect.yaml; returns what changed, one line each
    ("weekly: 0 9 * * 1 (Asia/Shanghai) → 0 8 * * 1 (Asia/Shanghai)")."""
    from prefect import get_client

    wanted = declared(path)
    changed: list[str] = []
    async with get_client() as client:
        for name, schedules in wanted.items():
            flow_name = flow_names.get(name)
            if flow_name is None:
                continue
            have = await server_schedules(client, flow_name, name)
            if have is None or sorted(map(str, have)) == sorted(map(str, schedules)):
                continue
            deployment = await client.read_deployment_by_name(f"{flow_name}/{name}")
            for old in deployment.schedules:
                await client.delete_deployment_schedule(deployment.id, old.id)
            if schedules:
                await client.create_deployment_schedules(
                    deployment.id,
                    [(CronSchedule(cron=s.cron, timezone=s.timezone), s.active) for s in schedules])
            changed.append(f"{name}: {', '.join(map(str, have)) or 'none'} → "
                           f"{', '.join(map(str, schedules)) or 'none'}")
    return changed


def apply_now(flow_names: dict[str, str], path: Path | None = None) -> list[str]:
    return asyncio.run(apply(flow_names, path))
