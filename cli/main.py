"""``kefu``: the command line of kefu-flow.

Environment: KEFU_DATABASE_URL (default: SQLite in data/), KEFU_POLICY (default: the shipped
policy), KEFU_NOW (freeze the clock, ISO-8601), KEFU_PREFECT_API_URL, KEFU_MAIL_URL.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json, fail
from policy.load import load_policy
from tasks.deadlines import ClockError

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
approvals_app = typer.Typer(help="Pending decisions and deciding them.", no_args_is_help=True)
escalations_app = typer.Typer(help="The escalation sweep.", no_args_is_help=True)
server_app = typer.Typer(help="The local Prefect server.", no_args_is_help=True)
notifications_app = typer.Typer(help="The notification outbox.", no_args_is_help=True)
app.add_typer(approvals_app, name="approvals")
app.add_typer(escalations_app, name="escalations")
app.add_typer(server_app, name="server")
app.add_typer(notifications_app, name="notifications")


class DecisionChoice(StrEnum):
    approve = "approve"
    reject = "reject"
    send_back = "send_back"


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
    from cli.admin import warn_calendar_years  # a year of estimated holidays, where admins look

    warn_calendar_years(policy)


def _redact(url: str) -> str:
    head, _, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if head else url


# --- approvals ---------------------------------------------------------------------------

@approvals_app.command("list")
@clear_errors
def approvals_list(
    assignee: Annotated[str | None, typer.Option(help="Only this person's tasks")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Pending approval tasks, soonest due first."""
    from models.db import session_scope
    from tasks import labels
    from tasks.approvals import pending_tasks, task_view
    from tasks.deadlines import local_time

    with session_scope() as session:
        rows = [task_view(t) for t in pending_tasks(session, assignee)]
    if as_json:
        emit_json(rows)
        return
    policy = load_policy()
    tz = policy.calendar.timezone
    for row in rows:
        # An "approve" that must carry a field (the 180-day --outcome, a --category) says so.
        needs = "".join(f" --{name} {'|'.join(values)}" for name, values in row["choices"].items())
        decisions = "/".join(d + needs if d == "approve" else d for d in row["decisions"])
        # Who in words; the decisions stay as --decision takes them.
        typer.echo(f"#{row['id']:<5} {row['case']}  {row['label']}  "
                   f"→ {labels.person(row['assignee'], policy.organisation)}  "
                   f"due {local_time(row['due_at'], tz)}  level {row['escalation_level']}  "
                   f"[{decisions}]")
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
    amount: Annotated[int | None, typer.Option(
        help="A compensation the handling proposes, in 元 (approved by the policy's authority "
             "table, 004 D5)")] = None,
    attendee: Annotated[list[str] | None, typer.Option(
        help="A meeting's attendee, a person key (repeatable; a complaint's emergency meeting)")] = None,
) -> None:
    """Record a decision an approver gave you (admin); the waiting flow run continues.

    Approvers decide themselves in the inbox, from the signed link in their message, or in the
    Prefect UI form with its one-time code."""
    from models import ApprovalTask
    from models.db import session_scope
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.approvals import ApprovalError, decide
    from tasks.decision_checks import check_decision

    policy = load_policy()
    data = {"category": category, "person": person, "outcome": outcome, "amount": amount,
            "attendees": list(attendee or []) or None}
    try:
        with session_scope() as session:
            asked = session.get(ApprovalTask, task_id)
        if asked is not None:  # the process's own checks, as on the inbox and API paths
            data = check_decision(policy, asked, data)
        with session_scope() as session:
            task = decide(session, policy, task_id, actor=by, decision=decision.value,
                          comment=comment, data=data)
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


# --- sweep, outbox ------------------------------------------------------

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


# --- running -----------------------------------------------------------------------------

def _real_clock_only(command: str, why: str) -> None:
    """Refuse a frozen clock (KEFU_NOW) for a command that starts a process which cannot
    follow it, in one line, before anything starts."""
    import os

    if os.environ.get("KEFU_NOW"):
        fail(f"KEFU_NOW: `kefu {command}` {why}; unset KEFU_NOW for it "
             f"(a worker or inbox started with KEFU_NOW uses it in every process it starts)")


@server_app.command("start")
@clear_errors
def server_start() -> None:
    """Start the Prefect server in the background: SQLite in kefu's data directory, or
    PostgreSQL when KEFU_PREFECT_DATABASE_URL is set (the production setting)."""
    from runtime.server import start

    _real_clock_only("server start", "starts the Prefect server, whose schedules and run times "
                                     "follow the real clock")
    typer.echo(f"Prefect server: {start()}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server started by kefu."""
    from runtime.server import stop

    typer.echo("stopped" if stop() else "no server started by kefu is running")


@app.command()
def worker(
    pool: Annotated[str | None, typer.Option(
        help="Run the flows as Prefect's process worker on this work pool (deployed with "
             "`kefu deploy`) instead of serving them in this process; env KEFU_WORK_POOL",
        envvar="KEFU_WORK_POOL", show_default=False)] = None,
) -> None:
    """Serve the flows declared in prefect.yaml (complaints, sweep, report) until Ctrl-C."""
    if pool:
        from runtime.pool_worker import main as pool_main

        pool_main(pool)
        return
    from runtime.worker import main

    main()


@app.command()
@clear_errors
def deploy() -> None:
    """Deploy prefect.yaml's flows to their Prefect work pool (created if missing), as `prefect
    deploy --all` does, for workers started with `kefu worker --pool`."""
    from runtime.pool_worker import deploy as deploy_all

    deploy_all()


@app.command()
@clear_errors
def demo(
    stop_server: Annotated[bool, typer.Option(help="Stop the Prefect server at the end")] = False,
) -> None:
    """The whole product in one go: server, worker, one complaint of each kind, decisions,
    an overdue case escalated by the sweep, and where to look in the Prefect UI."""
    from runtime.demo import run_demo

    _real_clock_only("demo", "starts a Prefect server and dates its sample cases itself from "
                             "the real clock")
    run_demo(stop_server=stop_server)


from cli.inbox import register as _register_inbox  # noqa: E402

_register_inbox(app, approvals_app, clear_errors)

# Each process's commands, from its folder.
from cli.archives.commands import register as _register_archives  # noqa: E402
from cli.callback.commands import register as _register_callback  # noqa: E402
from cli.complaint.commands import register as _register_complaint  # noqa: E402
from cli.complaint.mailbox import mailbox_app  # noqa: E402
from cli.new_customer.commands import register as _register_new_customer  # noqa: E402
from cli.schedules import schedules_app  # noqa: E402
from cli.tier.commands import customers_app, tiers_app  # noqa: E402
from cli.visit.commands import register as _register_visit  # noqa: E402

app.add_typer(schedules_app, name="schedules")
_register_complaint(app)
app.add_typer(mailbox_app, name="mailbox")
_register_new_customer(app, clear_errors)
_register_visit(app, clear_errors)
_register_archives(app, clear_errors)
_register_callback(app, clear_errors)
app.add_typer(customers_app, name="customers")
app.add_typer(tiers_app, name="tiers")
from cli.credit.commands import credit_app  # noqa: E402
from cli.survey.commands import survey_app  # noqa: E402

app.add_typer(survey_app, name="survey")
app.add_typer(credit_app, name="credit")

from cli.admin import calendar_app, policy_app  # noqa: E402

app.add_typer(policy_app, name="policy")
app.add_typer(calendar_app, name="calendar")
from cli.api_keys import api_keys_app  # noqa: E402

app.add_typer(api_keys_app, name="api-keys")


@app.command()
def bench(quick: Annotated[bool, typer.Option(help="Fewer rounds and cases")] = False) -> None:
    """Measure kefu on this machine (the same as `python -m bench`): table + JSON."""
    from bench.__main__ import run

    _real_clock_only("bench", "starts Prefect servers and times real work")
    run(quick=quick)


if __name__ == "__main__":
    app()
