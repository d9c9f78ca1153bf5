"""``kefu schedules …``: prefect.yaml's schedules, edited and applied to the running server.

prefect.yaml is the one source of truth (runtime/schedules.py): these commands edit it,
keeping its comments, and tell the Prefect server at once; a running worker follows any edit
of the file by itself within seconds."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import emit_json, fail

schedules_app = typer.Typer(help="Schedules of the deployments (prefect.yaml).", no_args_is_help=True)


def _flow_names() -> dict[str, str]:
    from runtime.worker import declared_deployments

    return {settings["name"]: flow.name for flow, settings in declared_deployments()}


def _apply() -> None:
    from runtime.schedules import apply_now

    try:
        changed = apply_now(_flow_names())
    except Exception as exc:  # the server is down: the worker applies the file when it starts
        typer.secho(f"warning: prefect.yaml saved; the Prefect server was not told "
                    f"({type(exc).__name__}); `kefu worker` applies it when it starts",
                    err=True, fg=typer.colors.YELLOW)
        return
    for line in changed:
        typer.echo(f"applied to the server: {line}")
    if not changed:
        typer.echo("the server already had these schedules (or the worker has not registered "
                   "the deployment yet)")


def _edit(name: str, **change) -> None:
    from runtime.schedules import ScheduleError, edit

    try:
        schedules = edit(name, **change)
    except ScheduleError as exc:
        fail(str(exc))
    typer.echo(f"{name}: {', '.join(map(str, schedules))} (saved in prefect.yaml)")
    _apply()


@schedules_app.command("list")
def schedules_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every deployment and its schedules, as prefect.yaml declares them."""
    from runtime.schedules import ScheduleError, declared, prefect_yaml

    try:
        found = declared()
    except ScheduleError as exc:
        fail(str(exc))
    if as_json:
        emit_json({name: [vars(s) for s in items] for name, items in found.items()})
        return
    typer.echo(f"{prefect_yaml()}:")
    for name, items in found.items():
        typer.echo(f"  {name:<22} {', '.join(map(str, items)) or '— (started by kefu)'}")


@schedules_app.command("set")
def schedules_set(
    name: Annotated[str, typer.Argument(help="Deployment name (kefu schedules list)")],
    cron: Annotated[str | None, typer.Option(help="Cron: minute hour day month weekday")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Asia/Shanghai")] = None,
) -> None:
    """Change a deployment's schedule in prefect.yaml and on the running server."""
    if cron is None and timezone is None:
        fail("--cron or --timezone: give at least one")
    _edit(name, cron=cron, timezone=timezone)


@schedules_app.command("pause")
def schedules_pause(name: Annotated[str, typer.Argument(help="Deployment name")]) -> None:
    """Stop a deployment's schedule (kept in prefect.yaml as active: false)."""
    _edit(name, active=False)


@schedules_app.command("resume")
def schedules_resume(name: Annotated[str, typer.Argument(help="Deployment name")]) -> None:
    """Start a paused schedule again."""
    _edit(name, active=True)
