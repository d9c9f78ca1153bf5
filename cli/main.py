"""``kefu``: the command line of kefu-flow.

Environment: KEFU_DATABASE_URL (default: SQLite in data/), KEFU_POLICY (default: the shipped
policy), KEFU_NOW (freeze the clock, ISO-8601), KEFU_PREFECT_API_URL, KEFU_MAIL_URL.
"""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json, fail
from policy.load import load_policy
from tasks.deadlines import ClockError

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
complaint_app = typer.Typer(help="File, show and list complaints (客户投诉).", no_args_is_help=True)
approvals_app = typer.Typer(help="Pending decisions and deciding them.", no_args_is_help=True)
escalations_app = typer.Typer(help="The escalation sweep.", no_args_is_help=True)
archive_app = typer.Typer(help="The archive (资料保存一年).", no_args_is_help=True)
server_app = typer.Typer(help="The local Prefect server.", no_args_is_help=True)
notifications_app = typer.Typer(help="The notification outbox.", no_args_is_help=True)
app.add_typer(complaint_app, name="complaint")
app.add_typer(approvals_app, name="approvals")
app.add_typer(escalations_app, name="escalations")
app.add_typer(archive_app, name="archive")
app.add_typer(server_app, name="server")
app.add_typer(notifications_app, name="notifications")


class Channel(StrEnum):
    phone = "phone"
    written = "written"
    in_person = "in_person"
    transferred = "transferred"
    hotline = "hotline"


class DecisionChoice(StrEnum):
    approve = "approve"
    reject = "reject"
    send_back = "send_back"


class Period(StrEnum):
    weekly = "weekly"
    monthly = "monthly"


@app.callback()
def check_environment() -> None:
    """A bad KEFU_NOW is refused before any command runs. Every change a command makes is
    audited with the OS account that typed it (``entered_by``): the CLI is an admin tool, and
    ``--as P`` records a decision on P's behalf, not proof that P took it."""
    import getpass

    from tasks.audit import set_operator
    from tasks.deadlines import now

    set_operator(f"os:{getpass.getuser()}")
    try:
        now()
    except ClockError as exc:
        fail(str(exc))


@app.command()
@clear_errors
def init() -> None:
    """Migrate the database to the latest schema and load the policy's organisation."""
    from models.db import database_url, session_scope
    from models.migrate import upgrade
    from tasks.organisation import sync_organisation

    policy = load_policy()
    upgrade()
    with session_scope() as session:
        counts = sync_organisation(session, policy)
    typer.echo(f"database ready: {_redact(database_url())}")
    typer.echo(f"policy {policy.name}: {counts['departments']} departments, "
               f"{counts['people']} people")
    if policy.new_customer is not None:  # the review offsets may have changed: move the reviews
        from tasks.new_customer.case import reschedule

        typer.echo(f"development projects: {len(reschedule(policy))} pending review(s) moved")


def _redact(url: str) -> str:
    head, _, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if head else url


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
                           shipped_on=shipped_on, important=important, today=today)
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
) -> None:
    """Everything about one complaint: route, clocks, approvals, history, messages, points."""
    from tasks.complaint.card import case_card_markdown, complaint_view

    if as_json:
        emit_json(complaint_view(number))
    else:
        typer.echo(case_card_markdown(number))


@complaint_app.command("list")
@clear_errors
def complaint_list(
    status: Annotated[str | None, typer.Option(help="received, triage, handling, feedback, archived")] = None,
    overdue: Annotated[bool, typer.Option(help="Only cases with a clock past due")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List complaints, newest first."""
    from sqlalchemy import select

    from models import Clock, Complaint, ComplaintStatus
    from models.db import session_scope
    from tasks.deadlines import now

    if status and status not in set(ComplaintStatus):
        raise ValueError(f"--status: {status!r} is not one of {', '.join(ComplaintStatus)}")
    with session_scope() as session:
        query = select(Complaint).order_by(Complaint.id.desc())
        if status:
            query = query.where(Complaint.status == status)
        if overdue:
            late = select(Clock.case_number).where(Clock.met_at.is_(None), Clock.due_at <= now())
            query = query.where(Complaint.number.in_(late))
        rows = [{"number": c.number, "status": c.status, "category": c.category,
                 "department": c.department_key, "handler": c.handler_key,
                 "customer": c.customer.name, "received_at": c.received_at.isoformat()}
                for c in session.scalars(query)]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['number']}  {row['status']:<9} {row['category'] or '—':<17} "
                   f"{row['department'] or '—':<16} {row['customer']}")
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

    due = mark_special(load_policy(), number, by, reason)
    typer.echo(f"{number}: handling now due {due.isoformat()}")


# --- approvals ---------------------------------------------------------------------------

@approvals_app.command("list")
@clear_errors
def approvals_list(
    assignee: Annotated[str | None, typer.Option(help="Only this person's tasks")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Pending approval tasks, soonest due first."""
    from models.db import session_scope
    from notifications.render import local_time
    from tasks.approvals import pending_tasks, task_view

    with session_scope() as session:
        rows = [task_view(t) for t in pending_tasks(session, assignee)]
    if as_json:
        emit_json(rows)
        return
    tz = load_policy().calendar.timezone
    for row in rows:
        typer.echo(f"#{row['id']:<5} {row['case']}  {row['label']}  → {row['assignee']}  "
                   f"due {local_time(row['due_at'], tz)}  level {row['escalation_level']}  "
                   f"[{'/'.join(row['decisions'])}]")
    if not rows:
        typer.echo("no pending approvals")


@approvals_app.command("decide")
@clear_errors
def approvals_decide(
    task_id: int,
    by: Annotated[str, typer.Option("--as", help=(
        "The person on whose behalf you record the decision (a person key); the audit log and "
        "the case record you, the OS user, as the one who entered it"))],
    decision: Annotated[DecisionChoice, typer.Option(help="approve, reject or send_back")],
    comment: Annotated[str | None, typer.Option(help="Reason or handling result")] = None,
    category: Annotated[str | None, typer.Option(help="The category, when classifying by hand")] = None,
    person: Annotated[str | None, typer.Option(help="The staff member criticised (§3.3)")] = None,
    outcome: Annotated[str | None, typer.Option(
        help="continue, suspend, terminate or hand_over (a development project's review)")] = None,
) -> None:
    """Record a decision an approver gave you (admin); the waiting flow run continues.

    Approvers decide themselves in the inbox, from the signed link in their message, or in the
    Prefect UI form with its one-time code."""
    from models.db import session_scope
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.approvals import ApprovalError, decide

    policy = load_policy()
    try:
        with session_scope() as session:
            task = decide(session, policy, task_id, actor=by, decision=decision.value,
                          comment=comment, data={"category": category, "person": person,
                                                  "outcome": outcome})
            case_number = task.case_number
    except ApprovalError as refused:
        from tasks.audit import record_alone
        record_alone(actor=by, action="decide", outcome="refused", via="cli", task_id=task_id,
                     case_number=refused.case_number, reason=str(refused))
        raise
    from tasks.audit import operator

    typer.echo(f"task {task_id} ({case_number}): {decision.value} by {by}, entered by {operator()}")
    try:
        outcome = wake_task(task_id)
        typer.echo(f"flow run: {outcome}")
    except PrefectUnavailable as exc:
        typer.secho(f"warning: decision recorded; the flow continues when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)


# --- sweep, outbox, archive, report ------------------------------------------------------

@escalations_app.command("run")
@clear_errors
def escalations_run(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Run one escalation sweep now and send what it queued."""
    from tasks.escalation import sweep
    from tasks.notify import dispatch_pending

    done = sweep(load_policy())
    sent = dispatch_pending()
    if as_json:
        emit_json({"escalated": done, "sent": sent})
        return
    for row in done:
        typer.echo(f"{row['case']} {row['clock']}: level {row['level']} → "
                   f"{', '.join(row['notified'])}")
    typer.echo(f"{len(done)} escalation(s); messages sent {sent['sent']}, failed {sent['failed']}")


@notifications_app.command("send")
@clear_errors
def notifications_send(
    now_: Annotated[bool, typer.Option("--now", help="Ignore the retry backoff")] = False,
) -> None:
    """Send pending and failed messages from the outbox."""
    from tasks.notify import dispatch_pending

    counts = dispatch_pending(ignore_backoff=now_)
    typer.echo(f"sent {counts['sent']}, failed {counts['failed']}")


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


@app.command()
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
        writer = csv.writer(sys.stdout)
        writer.writerow(["section", "key", "value"])
        writer.writerows(rows)
        return
    typer.echo(f"Complaints {data['from'][:10]} – {data['to'][:10]} ({period.value})")
    for section, key, value in rows:
        typer.echo(f"  {section:<22} {key:<24} {value:>8}")


# --- running -----------------------------------------------------------------------------

@server_app.command("start")
@clear_errors
def server_start() -> None:
    """Start the local Prefect server (SQLite) in the background."""
    from runtime.server import start

    typer.echo(f"Prefect server: {start()}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server started by kefu."""
    from runtime.server import stop

    typer.echo("stopped" if stop() else "no server started by kefu is running")


@app.command()
def worker() -> None:
    """Serve the flows declared in prefect.yaml (complaints, sweep, report) until Ctrl-C."""
    from runtime.worker import main

    main()


@app.command()
@clear_errors
def demo(
    stop_server: Annotated[bool, typer.Option(help="Stop the Prefect server at the end")] = False,
) -> None:
    """The whole product in one go: server, worker, one complaint of each kind, decisions,
    an overdue case escalated by the sweep, and where to look in the Prefect UI."""
    from runtime.demo import run_demo

    run_demo(stop_server=stop_server)


from cli.inbox import register as _register_inbox  # noqa: E402

_register_inbox(app, approvals_app, clear_errors)

from cli.prospect import register as register_prospect  # noqa: E402

register_prospect(app, clear_errors)

from cli.customers import customers_app, tiers_app  # noqa: E402

app.add_typer(customers_app, name="customers")
app.add_typer(tiers_app, name="tiers")

from cli.bulk import complaint_import  # noqa: E402

complaint_app.command("import")(clear_errors(complaint_import))


@app.command()
def bench(quick: Annotated[bool, typer.Option(help="Fewer rounds and cases")] = False) -> None:
    """Measure kefu on this machine (the same as `python -m bench`): table + JSON."""
    from bench.__main__ import run

    run(quick=quick)


if __name__ == "__main__":
    app()
