"""``kefu policy check`` and ``kefu calendar check``: what an admin runs before and after
editing the policy file, and to see which years' holidays are only estimated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from cli.common import clear_errors, emit_json
from policy.load import PolicyError, check_policy, load_policy, policy_path
from policy.schema import Policy

policy_app = typer.Typer(help="The policy file.", no_args_is_help=True)
calendar_app = typer.Typer(help="The working-day calendar.", no_args_is_help=True)


@policy_app.command("check")
def policy_check(
    file: Annotated[Path | None, typer.Argument(
        help="The policy file to check (default: the one in force, KEFU_POLICY)")] = None,
) -> None:
    """Validate a policy file as the loader does, listing every problem as FILE:LINE: key:
    what is wrong (exit 2), before the edit reaches the running worker and inbox."""
    try:
        path = file or policy_path()
    except PolicyError as exc:
        typer.echo(str(exc))
        raise typer.Exit(2) from None
    problems = check_policy(path)
    if problems:
        for problem in problems:
            typer.echo(problem)
        typer.secho(f"{len(problems)} problem(s); the running processes keep the last good "
                    f"policy until the file validates", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    policy = load_policy(path)
    typer.echo(f"{path}: ok (policy {policy.name}: {len(policy.organisation.people)} people, "
               f"{len(policy.complaint.categories)} complaint categories)")


@calendar_app.command("check")
@clear_errors
def calendar_check(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Where each year's holidays come from, from this year to a year after the furthest open
    deadline: chinese-calendar, the policy's schedule (calendar.years), an estimate
    (python-holidays) or weekends only, with what to do about the last two."""
    from tasks.deadlines import calendar_warnings, year_source

    policy = load_policy()
    years = calendar_years(policy)
    rows = [{"year": y, "source": year_source(policy.calendar, y)} for y in years]
    warnings = calendar_warnings(policy, years)
    if as_json:
        emit_json({"years": rows, "warnings": warnings})
        return
    for row in rows:
        typer.echo(f"{row['year']}  {row['source']}")
    for warning in warnings:
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)


def calendar_years(policy: Policy) -> range:
    """This year to a year after the furthest open deadline (the database's open clocks;
    none when the database is not there yet)."""
    from sqlalchemy.exc import SQLAlchemyError

    from models.db import session_scope
    from tasks.clocks import calendar_years_ahead
    from tasks.deadlines import now, years_to_check

    try:
        with session_scope() as session:
            return calendar_years_ahead(session, policy)
    except SQLAlchemyError:
        return years_to_check(now().astimezone(ZoneInfo(policy.calendar.timezone)).date(), None)


def warn_calendar_years(policy: Policy) -> None:
    """``kefu init``: the years whose holidays are estimated or unknown, where admins look."""
    from tasks.deadlines import calendar_warnings

    for warning in calendar_warnings(policy, calendar_years(policy)):
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
