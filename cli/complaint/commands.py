"""``kefu complaint …``, ``kefu archive purge`` and ``kefu report``: the complaint process
(客户投诉管理制度, 000 D2) on the command line."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json
from policy.load import load_policy

complaint_app = typer.Typer(help="File, show and list complaints (客户投诉).", no_args_is_help=True)
archive_app = typer.Typer(help="The archive (资料保存一年).", no_args_is_help=True)


class Channel(StrEnum):
    phone = "phone"
    written = "written"
    in_person = "in_person"
    transferred = "transferred"
    hotline = "hotline"


class Period(StrEnum):
    weekly = "weekly"
    monthly = "monthly"


# --- complaints --------------------------------------------------------------------------

@complaint_app.command("file")
@clear_errors
def complaint_file(
    channel: Annotated[str, typer.Option(help="phone, written, in_person, transferred or hotline")],
    customer: Annotated[str, typer.Option(help="The customer's name")],
    phone: Annotated[str, typer.Option(help="The customer's phone number")],
    content: Annotated[str, typer.Option(help="What the customer complains about")],
    address: Annotated[str | None, typer.Option(help="The customer's address")] = None,
    email: Annotated[str | None, typer.Option(help="The customer's e-mail, for the feedback form")] = None,
    shipped_on: Annotated[str | None, typer.Option(help="Date the goods left the warehouse, YYYY-MM-DD")] = None,
    important: Annotated[bool, typer.Option(help="Keep the record long-term")] = False,
    staff: Annotated[str | None, typer.Option(
        help="The staff member complained about, for a service or attitude complaint (§3.3)")] = None,
    trigger: Annotated[list[str] | None, typer.Option(
        help="A flag of the policy (repeatable): a major-complaint trigger such as media "
             "(004 D5), to_gm (000 D5)")] = None,
    taken_by: Annotated[str | None, typer.Option(
        help="Who took the call (person key): the 第一责任者 where the policy has one (000 D12)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """File a complaint (客户投诉表); prints its number and starts its flow run."""
    from zoneinfo import ZoneInfo

    from tasks.complaint.intake import file_complaint, parse_complaint
    from tasks.deadlines import now

    policy = load_policy()
    today = now().astimezone(ZoneInfo(policy.calendar.timezone)).date()
    data = parse_complaint(policy, channel=channel, customer=customer, phone=phone,
                           content=content, address=address, email=email,
                           shipped_on=shipped_on, important=important, today=today, staff=staff,
                           triggers=trigger, taken_by=taken_by)
    complaint = file_complaint(policy, data)
    flow_run_id = _start_run(complaint.number)
    if as_json:
        emit_json({"number": complaint.number, "flow_run_id": flow_run_id})
    else:
        typer.echo(complaint.number)


def _start_run(number: str) -> str | None:
    from runtime.runs import PrefectUnavailable, start_complaint_run

    try:
        return start_complaint_run(number)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is filed; its flow run starts when Prefect is back "
                    f"({exc})", err=True, fg=typer.colors.YELLOW)
        return None


@complaint_app.command("show")
@clear_errors
def complaint_show(
    number: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    as_: Annotated[str | None, typer.Option("--as", help=(
        "The reader, for an archived 机密/绝密 case: a person holding an approved loan"))] = None,
) -> None:
    """Everything about one complaint: route, clocks, approvals, history, messages, points."""
    from tasks.complaint.card import case_card_text, complaint_view
    from tasks.confidentiality import check_read_alone

    policy = load_policy()
    if as_ is not None:
        policy.organisation.person(as_)
    decision = check_read_alone(policy, as_, "complaint", number, actor=as_ or "cli", via="cli")
    if not decision.allowed:
        raise ValueError(f"--as: {number} is an archive you may not read ({decision.reason})")
    if as_json:
        emit_json(complaint_view(number))
    else:
        typer.echo(case_card_text(number))


@complaint_app.command("list")
@clear_errors
def complaint_list(
    status: Annotated[str | None, typer.Option(help="received, triage, handling, feedback, archived")] = None,
    department: Annotated[str | None, typer.Option(help="A department key of the policy")] = None,
    category: Annotated[str | None, typer.Option(help="A category key of the policy")] = None,
    timing: Annotated[str | None, typer.Option(
        help="overdue, at_risk or on_time, by the case's open clocks")] = None,
    overdue: Annotated[bool, typer.Option(help="Only cases with a clock past due (--timing overdue)")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List complaints, newest first, with the step each waits on and its next due time."""
    from models.db import session_scope
    from tasks.complaint.listing import ComplaintFilter, find_complaints
    from tasks.deadlines import calendar_for, local_time, now
    from tasks.text import one_line

    policy = load_policy()
    wanted = ComplaintFilter(status=status, department=department, category=category,
                             timing="overdue" if overdue else timing, limit=limit)
    if problem := wanted.problem():
        raise ValueError(f"--{problem[0].replace('_', '-')}: {problem[1]}")
    moment = now()
    with session_scope() as session:
        rows = find_complaints(session, wanted, moment,
                               calendar_for(policy.calendar).add(moment, policy.approvals.at_risk))
    if as_json:
        emit_json([{**row, "received_at": row["received_at"].isoformat(),
                    "next_due_at": row["next_due_at"].isoformat() if row["next_due_at"] else None,
                    "waiting_on": [{**w, "due_at": w["due_at"].isoformat()} for w in row["waiting_on"]]}
                   for row in rows])
        return
    from tasks import labels
    from tasks.complaint.report_views import category_name

    tz, org = policy.calendar.timezone, policy.organisation
    for row in rows:
        waiting = ", ".join(f"{w['label']}→{labels.person(w['assignee'], org)}"
                            for w in row["waiting_on"]) or "—"
        due = local_time(row["next_due_at"], tz) if row["next_due_at"] else "—"
        category = category_name(policy, row["category"], "zh-CN") if row["category"] else "待人工分类"
        department = labels.department(row["department"], org)
        typer.echo(f"{row['number']}  {labels.status(row['status'])}  {category}  {department}  "
                   f"{labels.status(row['timing'])}  {due}  {waiting}  {one_line(row['customer'])}")
    if not rows:
        typer.echo("no complaints match")


@complaint_app.command("special")
@clear_errors
def complaint_special(
    number: str,
    by: Annotated[str, typer.Option("--as", help="Who grants it (a person key)")],
    reason: Annotated[str, typer.Option(help="Why this case is special")],
) -> None:
    """Mark a special case: handling may take 7 working days from receipt (§3)."""
    from tasks.complaint.case import mark_special
    from tasks.deadlines import local_time

    policy = load_policy()
    due = mark_special(policy, number, by, reason)
    typer.echo(f"{number}: handling now due {local_time(due, policy.calendar.timezone)}")


@complaint_app.command("hand-over")
@clear_errors
def complaint_hand_over(
    number: str,
    to: Annotated[str, typer.Option(help="Who takes the case over (a person key)")],
    by: Annotated[str, typer.Option("--as", help="The first responsible person handing it over")],
    note: Annotated[str, typer.Option(help="The written hand-over (书面移交)")],
) -> None:
    """Hand a case over in writing: its first responsible person (第一责任者, 000 D12) gives it,
    and their open tasks of it, to another person; recorded in its history."""
    from tasks.complaint.variant_steps import hand_over

    owner = hand_over(load_policy(), number, actor=by, to=to, note=note)
    typer.echo(f"{number}: handed over to {owner}")


@archive_app.command("purge")
@clear_errors
def archive_purge(
    dry_run: Annotated[bool, typer.Option(help="Only list what would be removed")] = False,
) -> None:
    """Remove archived cases whose retention has expired; important cases are kept."""
    from tasks.complaint.archive import purge_expired

    numbers = purge_expired(dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb} {len(numbers)} case(s){': ' + ', '.join(numbers) if numbers else ''}")


@clear_errors
def report(
    period: Period,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV")] = False,
) -> None:
    """Complaint statistics for the weekly or monthly meeting (§5)."""
    from tasks.complaint.report import complaint_report, report_rows

    data = complaint_report(load_policy(), period.value)
    if as_json:
        emit_json(data)
        return
    rows = report_rows(data)
    if as_csv:
        from tasks.tables import csv_bytes

        # UTF-8 with a BOM: `kefu report weekly --csv > 周报.csv` opens in Excel on Chinese Windows.
        sys.stdout.buffer.write(csv_bytes([["section", "key", "value"], *rows]))
        sys.stdout.flush()
        return
    typer.echo(f"Complaints {data['from'][:10]} – {data['to'][:10]} ({period.value})")
    for section, key, value in rows:
        typer.echo(f"  {section:<22} {key:<24} {value:>8}")




def register(app: typer.Typer) -> None:
    """Add the complaint commands to the ``kefu`` command."""
    from cli.complaint.bulk import complaint_import

    complaint_app.command("import")(clear_errors(complaint_import))
    app.add_typer(complaint_app, name="complaint")
    app.add_typer(archive_app, name="archive")
    app.command()(report)
