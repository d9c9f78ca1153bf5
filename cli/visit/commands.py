"""``kefu visits``: monthly visit plans and their reports (004 客户拜访管理办法), customers'
site-visit requests (002 客户参观接待管理制度)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from policy.load import load_policy

visits_app = typer.Typer(help="Visit plans, visit reports and site-visit requests (客户拜访).",
                         no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _emit(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _warn(number: str, exc: Exception) -> None:
    typer.secho(f"warning: {number} is stored; its flow run could not start ({exc})",
                err=True, fg=typer.colors.YELLOW)


def _wake(task_id: int) -> None:
    from runtime.runs import PrefectUnavailable, wake_task

    try:
        typer.echo(f"flow run: {wake_task(task_id)}", err=True)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: recorded; the flow continues when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)


def visits_open(
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default: next month)")] = None,
    as_json: JSON = False,
) -> None:
    """Ask every salesperson for the month's visit plan (what the monthly schedule does)."""
    from runtime.runs import PrefectUnavailable
    from runtime.visit_runs import start_plan_run
    from tasks.visit.case import open_plans

    numbers = open_plans(load_policy(), month)
    for number in numbers:
        try:
            start_plan_run(number)
        except PrefectUnavailable as exc:
            _warn(number, exc)
    if as_json:
        _emit(numbers)
        return
    typer.echo("\n".join(numbers) if numbers else "no plan to ask")


def visits_plan(
    person: Annotated[str, typer.Option("--as", help="The salesperson (a person key)")],
    month: Annotated[str, typer.Option(help="The plan's month, YYYY-MM")],
    visit: Annotated[list[str], typer.Option(help="DATE,CUSTOMER[,PURPOSE]; repeat per visit")],
    as_json: JSON = False,
) -> None:
    """Hand in the 拜访计划书: it goes to the superior for approval."""
    from tasks.visit.case import submit_plan

    done = submit_plan(load_policy(), person=person, month=month, visit_lines=visit)
    _wake(done["task_id"])
    if as_json:
        _emit(done)
    else:
        typer.echo(f"{done['number']}: {done['visits']} visit(s) handed in for review")


def visits_report(
    visit: Annotated[str, typer.Argument(help="The visit's number, e.g. BF-202701-001-02")],
    note: Annotated[str, typer.Option(help="What the visit found (客户拜访报告)")],
    as_json: JSON = False,
) -> None:
    """File a visit's 客户拜访报告 (due within 2 days of the visit, 004 3.4)."""
    from tasks.visit.case import file_report

    done = file_report(load_policy(), visit, note)
    _wake(done["task_id"])
    if as_json:
        _emit(done)
    else:
        typer.echo(f"{visit}: report filed{' (late)' if done['late'] else ''}")


def visits_request(
    customer: Annotated[str, typer.Option(help="The visiting customer")],
    kind: Annotated[str, typer.Option(help="key | group | ordinary | temporary (the policy's kinds)")],
    at: Annotated[str, typer.Option(help="When they come, e.g. '2026-12-10 14:00' (policy time zone)")],
    by: Annotated[str, typer.Option(help="Who files it (a person key)")],
    visitors: Annotated[int, typer.Option(help="How many come")] = 1,
    note: Annotated[str, typer.Option(help="Purpose, route")] = "",
    as_json: JSON = False,
) -> None:
    """File a customer's site-visit request; it must be confirmed before its notice runs out."""
    from runtime.runs import PrefectUnavailable
    from runtime.visit_runs import start_site_run
    from tasks.deadlines import local_time
    from tasks.visit.case import request_site_visit

    policy = load_policy()
    request = request_site_visit(policy, customer=customer, kind=kind, at=at, by=by,
                                 visitors=visitors, note=note)
    run_id = None
    try:
        run_id = start_site_run(request.number)
    except PrefectUnavailable as exc:
        _warn(request.number, exc)
    if as_json:
        _emit({"number": request.number, "confirm_by": request.confirm_by,
               "visit_at": request.visit_at, "flow_run_id": run_id})
        return
    typer.echo(f"{request.number}: to be confirmed by "
               f"{local_time(request.confirm_by, policy.calendar.timezone)}")


def visits_show(number: str, as_json: JSON = False) -> None:
    """A plan with its visits and reports, or a site-visit request."""
    from tasks.visit.card import card_text, view

    if as_json:
        _emit(view(number))
    else:
        typer.echo(card_text(number))


def visits_list(
    month: Annotated[str | None, typer.Option(help="Only this month's plans, YYYY-MM")] = None,
    as_json: JSON = False,
) -> None:
    """Every visit plan and site-visit request, newest first."""
    from tasks import labels
    from tasks.visit.card import listing

    rows = listing(month)
    if as_json:
        _emit(rows)
        return
    from tasks.deadlines import local_time

    policy = load_policy()
    org, tz = policy.organisation, policy.calendar.timezone
    for row in rows:
        when = row["when"] if row["kind"] == "plan" else local_time(row["when"], tz)
        typer.echo(f"{row['number']}  {labels.status(row['status'])}  "
                   f"{labels.person(row['who'], org)}  {when}"
                   + (f"  {row['visits']} 次拜访" if row["visits"] is not None else ""))
    if not rows:
        typer.echo("no visit plans or requests")


def register(app: typer.Typer, clear_errors) -> None:  # noqa: ANN001  (cli.main's error guard)
    """Add ``kefu visits …`` to the kefu command, each command behind kefu's error guard."""
    for name, command in (("open", visits_open), ("plan", visits_plan), ("report", visits_report),
                          ("request", visits_request), ("show", visits_show),
                          ("list", visits_list)):
        visits_app.command(name)(clear_errors(command))
    app.add_typer(visits_app, name="visits")
