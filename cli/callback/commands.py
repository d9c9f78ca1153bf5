"""``kefu callback``: callbacks (回访, 004 D14) — list, show, record the customer's opinion,
draw handled cases now, and the monthly report."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import emit_json
from policy.load import load_policy

callback_app = typer.Typer(help="Callbacks (回访, 004 D14): the sample of handled cases called back.",
                           no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print JSON")]


def callback_list(
    status: Annotated[str | None, typer.Option(help="calling, satisfied, dissatisfied")] = None,
    kind: Annotated[str | None, typer.Option(help="complaint, repair, activity (policy kinds)")] = None,
    drawn: Annotated[bool, typer.Option("--drawn", help="Every draw, the cases not chosen too")] = False,
    as_json: JSON = False,
) -> None:
    """The callbacks, newest first."""
    from tasks import labels
    from tasks.callback.case import listing, rules_of
    from tasks.callback.rules import CallbackError, kind_of
    from tasks.deadlines import local_time

    policy = load_policy()
    if kind is not None:
        kind_of(rules_of(policy), kind)
    if status is not None and status not in ("calling", "satisfied", "dissatisfied", "not_sampled"):
        raise CallbackError("status", f"{status!r} is not one of calling, satisfied, "
                                      f"dissatisfied, not_sampled")
    rows = listing(status=status, kind=kind, drawn=drawn)
    if as_json:
        emit_json(rows)
        return
    tz = policy.calendar.timezone
    for row in rows:
        typer.echo(f"{row['number'] or '—':<16} {row['source']:<16} {labels.status(row['status'])}  "
                   f"{labels.person(row['caller'], policy.organisation)}  "
                   f"期限 {local_time(row['due_at'], tz) if row['due_at'] else '—'}")
    if not rows:
        typer.echo("no callbacks")


def callback_show(number: str, as_json: JSON = False) -> None:
    """One callback: the case called back, the caller, each callback's result, the story."""
    from tasks.callback.card import callback_card_text
    from tasks.callback.case import show

    if as_json:
        emit_json(show(number))
    else:
        typer.echo(callback_card_text(number))


def callback_record(
    number: str,
    outcome: Annotated[str, typer.Option(help="satisfied or dissatisfied")],
    note: Annotated[str | None, typer.Option(help="What the customer said (回访记录表)")] = None,
    as_: Annotated[str | None, typer.Option("--as", help="The caller (default: the assignee)")] = None,
    as_json: JSON = False,
) -> None:
    """Record the customer's opinion at a callback; the flow goes on (closed, or another
    callback when the customer is not satisfied)."""
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.callback.case import record

    task = record(load_policy(), number, actor=as_, outcome=outcome, note=note)
    woken = None
    try:
        woken = wake_task(task.id)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: recorded; the flow continues when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)
    if as_json:
        emit_json({"number": number, "task_id": task.id, "outcome": outcome, "flow_run": woken})
    else:
        typer.echo(f"{number}: callback {task.round} recorded ({outcome})")


def callback_draw(as_json: JSON = False) -> None:
    """Draw the handled cases not yet considered now and start the chosen ones' runs (what
    the daily callback plan does, prefect.yaml ``callback-plan``)."""
    from runtime.callback_runs import draw_and_start

    counts = draw_and_start()
    if as_json:
        emit_json(counts)
    else:
        typer.echo(f"{counts['drawn']} callback(s) drawn; started {counts['started']} run(s); "
                   f"{counts['failed']} failed")


def callback_report(
    month: Annotated[str, typer.Option(help="The month, e.g. 2026-12")],
    as_json: JSON = False,
) -> None:
    """The monthly 客户回访记录 (004 D14 §2.4): per kind, handled, drawn, called back (in
    time), satisfied; callback rate and satisfaction against the policy's targets."""
    from tasks.callback.case import monthly_report
    from tasks.callback.rules import parse_month

    policy = load_policy()
    year, number = parse_month(month)
    report = monthly_report(policy, year, number)
    if as_json:
        emit_json(report)
        return

    def pct(rate: float | None) -> str:
        return "—" if rate is None else f"{rate * 100:.0f}%"

    typer.echo(f"客户回访 {report['month']}（目标：回访率 {pct(report['target_callback_rate'])}，"
               f"满意率 {pct(report['target_satisfaction'])}）")
    for k in report["kinds"]:
        label = policy.callback.kinds[k["kind"]].label if k["kind"] in policy.callback.kinds else k["kind"]
        typer.echo(f"  {label}: 办结 {k['handled']}，抽中 {k['chosen']}，已回访 {k['called']}"
                   f"（按时 {k['on_time']}），满意 {k['satisfied']}；回访率 {pct(k['callback_rate'])}，"
                   f"满意率 {pct(k['satisfaction'])}")
    if not report["kinds"]:
        typer.echo("  no handled cases that month")


def register(app: typer.Typer, clear_errors) -> None:  # noqa: ANN001  (cli.main's error guard)
    """Add ``kefu callback …`` to the kefu command, each command behind kefu's error guard."""
    for name, command in (("list", callback_list), ("show", callback_show),
                          ("record", callback_record), ("draw", callback_draw),
                          ("report", callback_report)):
        callback_app.command(name)(clear_errors(command))
    app.add_typer(callback_app, name="callback")
