"""``kefu customers`` and ``kefu tiers``: customers' figures and grades, and the yearly
客户等级评定 (000 D7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json
from policy.load import load_policy

customers_app = typer.Typer(help="Customers: import yearly figures, grades and their history.",
                            no_args_is_help=True)
tiers_app = typer.Typer(help="The yearly tier assessment (客户等级评定).", no_args_is_help=True)
PROGRESS_FROM = 200  # rows: a file this long shows a progress bar


@customers_app.command("import")
@clear_errors
def customers_import(
    file: Path,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Import customers' yearly figures from CSV (UTF-8, or GB18030 as Excel saves
    "CSV (逗号分隔)") or .xlsx. Columns: name, phone, territory, year, sales (万元), growth
    (percent: 12 or 12%), overdue_payments, cooperation (0–100); optional profit, email,
    address, grade. Every row is checked first; one bad cell and nothing is imported."""
    from tasks.tier.customer_import import import_rows, parse_rows, read_table

    policy = load_policy()
    table = read_table(file)
    if len(table) >= PROGRESS_FROM and not as_json:
        with typer.progressbar(length=len(table), label="checking", file=sys.stderr) as bar:
            rows = parse_rows(policy, table, tick=bar.update)
    else:
        rows = parse_rows(policy, table)
    counts = import_rows(rows)
    if as_json:
        emit_json(counts)
        return
    typer.echo(f"imported {counts['figures']} row(s): {counts['customers']} customer(s), "
               f"{counts['new_customers']} new")


@customers_app.command("show")
@clear_errors
def customers_show(
    name: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    as_: Annotated[str | None, typer.Option("--as", help=(
        "The reader, for a 机密/绝密 customer record: a person holding an approved loan"))] = None,
) -> None:
    """One customer: grade, territory, yearly figures and the grade history (who, when, why)."""
    from tasks.confidentiality import check_read_alone
    from tasks.text import one_line
    from tasks.tier.grades import customer_view

    if as_ is not None:
        load_policy().organisation.person(as_)
    decision = check_read_alone(load_policy(), as_, "customer", name, actor=as_ or "cli", via="cli")
    if not decision.allowed:
        raise ValueError(f"--as: {name} is an archive you may not read ({decision.reason})")
    view = customer_view(name)
    if as_json:
        emit_json(view)
        return
    from tasks import labels
    from tasks.deadlines import local_time

    policy = load_policy()
    tz = policy.calendar.timezone
    typer.echo(f"{one_line(view['name'])} ({one_line(view['phone'])})  grade {view['grade'] or '—'}"
               f"{' (temporary)' if view['grade_temporary'] else ''}  "
               f"territory {one_line(labels.territory(view['territory'], policy))}")
    for change in view["grade_history"]:
        typer.echo(f"  {local_time(change['at'], tz)}  {change['from'] or '—'} → {change['to']}  "
                   f"by {one_line(labels.person(change['by'], policy.organisation))}: "
                   f"{one_line(change['reason'] or '')}")


@tiers_app.command("start")
@clear_errors
def tiers_start(
    year: Annotated[int | None, typer.Option(help="The assessment's year (default: this year)")] = None,
) -> None:
    """Open this year's assessment now and start its flow run (the schedule does this on 25 March)."""
    from runtime.runs import PrefectUnavailable
    from tasks.tier.case import assessment_year, open_assessment
    from tasks.tier.grades import start_run

    policy = load_policy()
    year = year or assessment_year(policy)
    number = open_assessment(policy, year)
    typer.echo(number)
    try:
        run_id = start_run("tier-assessment/tier-assessment", {"year": year},
                           f"tier assessment {year}", number)
        typer.echo(f"flow run: {run_id}")
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is open; start its run when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)


@tiers_app.command("show")
@clear_errors
def tiers_show(
    year: int,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """One year's assessment: tasks, proposals and (once published) the results."""
    from tasks.tier.case import assessment_view, number_for, table_text

    number = number_for(load_policy(), year)
    if as_json:
        emit_json(assessment_view(number))
    else:
        typer.echo(table_text(number))


@tiers_app.command("decide")
@clear_errors
def tiers_decide(
    task_id: int,
    by: Annotated[str, typer.Option("--as", help="Who decides (a person key)")],
    override: Annotated[list[str] | None, typer.Option(
        help='A different grade: "CUSTOMER=GRADE:REASON" (repeatable)')] = None,
    attendee: Annotated[list[str] | None, typer.Option(help="A meeting attendee (repeatable)")] = None,
    file: Annotated[Path | None, typer.Option(
        help="JSON: overrides {customer: {grade, reason}}, attendees, a_support_plan, "
             "special_policies [{customer, policy}], credit_terms [{customer, terms}]")] = None,
    comment: Annotated[str | None, typer.Option(help="A note")] = None,
    decision: Annotated[str, typer.Option(help="approve or reject (applications, reviews)")] = "approve",
    grade: Annotated[str | None, typer.Option(help="The grade a temporary-grade review fixes")] = None,
) -> None:
    """Hand in a pre-grade (section chief), the meeting's decision (促销科), or a decision on an
    A application, an order exception or a temporary-grade review; the flow continues."""
    from tasks.tier.grades import decide_tier_task

    data: dict = json.loads(file.read_text(encoding="utf-8")) if file else {}
    from tasks.tier.case import parse_overrides

    overrides = {**(data.get("overrides") or {}), **parse_overrides(override or [])}
    data["overrides"] = overrides
    if attendee:
        data["attendees"] = list(attendee)
    if grade:
        data["grade"] = grade
    outcome = decide_tier_task(load_policy(), task_id, by, data, comment, decision)
    typer.echo(f"task {task_id}: {decision} by {by}; flow run: {outcome}")


def _start_case(number: str) -> None:
    from runtime.runs import PrefectUnavailable
    from tasks.tier.grades import start_run

    typer.echo(number)
    try:
        run_id = start_run("tier-case/tier-case", {"number": number}, f"tier case {number}", number)
        typer.echo(f"flow run: {run_id}")
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is recorded; its run starts when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)


@customers_app.command("apply-a")
@clear_errors
def customers_apply_a(
    name: str,
    by: Annotated[str, typer.Option("--as", help="Who applies (a person key)")],
    reason: Annotated[str, typer.Option(help="Why this customer should be grade A")],
) -> None:
    """Apply for grade A between meetings: section chief → 销售部长 → GM (000 D7 §6.2 B)."""
    from tasks.tier.grades import open_tier_case

    _start_case(open_tier_case(load_policy(), "a_application", name, by, reason))


@customers_app.command("order-exception")
@clear_errors
def customers_order_exception(
    name: str,
    by: Annotated[str, typer.Option("--as", help="Who asks (a person key)")],
    exception: Annotated[str, typer.Option(help="refuse_a_order or b_c_order_first")],
    reason: Annotated[str, typer.Option(help="Why")],
    order: Annotated[str | None, typer.Option(help="The order's reference")] = None,
) -> None:
    """Refuse an A customer's order, or put a B/C order first: needs 销售部长 or higher (§6.2 C)."""
    from tasks.tier.grades import open_tier_case

    _start_case(open_tier_case(load_policy(), "order_exception", name, by, reason,
                               {"exception": exception, "order": order}))


@customers_app.command("reviews")
@clear_errors
def customers_reviews() -> None:
    """Open the reviews of temporary grades whose six months are up (the worker does this daily)."""
    from tasks.tier.grades import open_due_reviews

    for number in open_due_reviews(load_policy()):
        _start_case(number)


@tiers_app.command("case")
@clear_errors
def tiers_case(
    number: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """An A application, order exception or temporary-grade review."""
    from tasks.tier.grades import tier_case_text, tier_case_view

    if as_json:
        emit_json(tier_case_view(number))
        return
    typer.echo(tier_case_text(number))
