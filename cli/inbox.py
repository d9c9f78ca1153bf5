"""``kefu inbox``, ``kefu users …``, ``kefu audit show`` and the approval actions beyond
deciding: ``kefu approvals delegate | add-signer | nudge | reassign``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer

from policy.load import load_policy

users_app = typer.Typer(help="Inbox accounts and standing delegations.", no_args_is_help=True)
audit_app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


def register(app: typer.Typer, approvals_app: typer.Typer, clear_errors) -> None:
    """Add this module's commands to the ``kefu`` app."""
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.command("inbox")(clear_errors(inbox))
    users_app.command("set-password")(clear_errors(set_password))
    users_app.command("delegate")(clear_errors(users_delegate))
    audit_app.command("show")(clear_errors(audit_show))
    approvals_app.command("delegate")(clear_errors(approvals_delegate))
    approvals_app.command("add-signer")(clear_errors(approvals_add_signer))
    approvals_app.command("nudge")(clear_errors(approvals_nudge))
    approvals_app.command("reassign")(clear_errors(approvals_reassign))


def inbox(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8700,
) -> None:
    """Serve the approvers' inbox (web pages) until Ctrl-C."""
    import uvicorn

    from inbox.app import create_app

    if not 0 < port < 65536:
        raise ValueError(f"--port: {port} is not a port number")
    typer.echo(f"inbox: http://{host}:{port}/")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


def set_password(
    person: Annotated[str, typer.Argument(help="A person key of the policy")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from stdin")] = False,
) -> None:
    """Create or change a person's inbox password (stored as a scrypt hash); every inbox
    session of that person ends."""
    from inbox.auth import set_password as store
    from models.db import session_scope
    from tasks import audit

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        ended = store(session, load_policy(), person, password)
        audit.record(session, actor=person, action="set_password", via="cli",
                     sessions_ended=ended)
    typer.echo(f"password set for {person}" + (f"; {ended} inbox session(s) ended" if ended else ""))


def users_delegate(
    principal: Annotated[str, typer.Argument(help="Whose tasks (a person key)")],
    to: Annotated[str, typer.Option("--to", help="The delegate (a person key)")],
    until: Annotated[str | None, typer.Option(help="End, ISO-8601 (default: until revoked)")] = None,
) -> None:
    """Name a delegate (转交, standing): they may decide the principal's tasks until --until."""
    from models import Delegation
    from models.db import session_scope
    from tasks import audit
    from tasks.deadlines import now

    policy = load_policy()
    for field, key in (("principal", principal), ("--to", to)):
        try:
            policy.organisation.person(key)
        except KeyError:
            raise ValueError(f"{field}: {key!r} is not a person in the policy") from None
    if principal == to:
        raise ValueError("--to: a person cannot be their own delegate")
    ends = None
    if until:
        try:
            ends = datetime.fromisoformat(until)
        except ValueError:
            raise ValueError(f"--until: {until!r} is not an ISO-8601 time") from None
        if ends.tzinfo is None:
            from zoneinfo import ZoneInfo
            ends = ends.replace(tzinfo=ZoneInfo(policy.calendar.timezone))
        if ends <= now():
            raise ValueError("--until: must be in the future")
    with session_scope() as session:
        session.add(Delegation(principal_key=principal, delegate_key=to, starts_at=now(),
                               ends_at=ends))
        audit.record(session, actor=principal, action="delegate", via="cli", to=to, until=ends)
    from tasks.deadlines import local_time

    typer.echo(f"{to} may decide {principal}'s approvals"
               + (f" until {local_time(ends, policy.calendar.timezone)}" if ends else ""))


def audit_show(
    case: Annotated[str, typer.Argument(help="Case number")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Every view, decision, refusal and link use recorded for a case."""
    from models.db import session_scope
    from tasks.audit import entries
    from tasks.deadlines import local_time
    from tasks.text import one_line

    tz = load_policy().calendar.timezone
    with session_scope() as session:
        rows = [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                 "outcome": e.outcome, "via": e.via, "task_id": e.task_id, "reason": e.reason,
                 **e.detail} for e in entries(session, case)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for row in rows:  # one line per entry: nothing stored can print a line of its own
        typer.echo(f"{local_time(row['at'], tz)}  {one_line(row['actor']):<14} "
                   f"{one_line(row['action']):<12} {row['outcome']:<8} {one_line(row['via']):<10} "
                   f"task {row['task_id'] or '—'}"
                   f"{'  ' + one_line(row['reason']) if row['reason'] else ''}"
                   f"{'  entered by ' + one_line(row['entered_by']) if row.get('entered_by') else ''}")
    if not rows:
        typer.echo(f"no audit entries for {case}")


def _act(action, task_id: int, actor: str, **kwargs) -> object:
    """Run one approval action; a refusal is audited (in its own transaction) and re-raised."""
    from models.db import session_scope
    from tasks import audit
    from tasks.approvals import ApprovalError

    try:
        with session_scope() as session:
            result = action(session, load_policy(), task_id, actor=actor, via="cli", **kwargs)
            return getattr(result, "id", None)
    except ApprovalError as refused:
        audit.record_alone(actor=actor, action=action.__name__, outcome="refused", via="cli",
                           task_id=task_id, case_number=refused.case_number, reason=str(refused))
        raise


def approvals_delegate(
    task_id: int,
    by: Annotated[str, typer.Option("--as", help="The assignee (or their delegate)")],
    to: Annotated[str, typer.Option("--to", help="Who takes the task over")],
) -> None:
    """转交: hand a pending approval to someone else; they get a new link."""
    from tasks.approvals import delegate_task
    from tasks.notify import dispatch_pending

    _act(delegate_task, task_id, by, to=to)
    dispatch_pending()
    typer.echo(f"task {task_id} handed to {to}")


def approvals_add_signer(
    task_id: int,
    by: Annotated[str, typer.Option("--as", help="The assignee (or their delegate)")],
    person: Annotated[str, typer.Option(help="Who must also sign")],
    position: Annotated[str, typer.Option(help="before or after me")] = "after",
) -> None:
    """加签: someone must also sign this step, before or after you."""
    from tasks.approvals import add_signer
    from tasks.notify import dispatch_pending

    added = _act(add_signer, task_id, by, person=person, position=position)
    dispatch_pending()
    typer.echo(f"task {added}: {person} signs {position} {by}")


def approvals_nudge(
    task_id: int,
    by: Annotated[str, typer.Option("--as", help="Who reminds (a person key)")],
) -> None:
    """催办: remind the assignee (rate-limited by the policy's approvals.nudge_interval)."""
    from tasks.approvals import nudge
    from tasks.notify import dispatch_pending

    _act(nudge, task_id, by)
    dispatch_pending()
    typer.echo(f"task {task_id}: reminder sent")


def approvals_reassign(
    task_id: int,
    to: Annotated[str, typer.Option("--to", help="Who takes the task over (a person key)")],
    reason: Annotated[str, typer.Option(help="Why: the assignee is on leave, ill …")],
    by: Annotated[str | None, typer.Option("--as", help=(
        "A superior of the assignee who asked for it; without it the reassignment is yours, "
        "the admin's (recorded with your OS user)"))] = None,
) -> None:
    """Reassign a pending task whose assignee is away (admin, or for a superior); the new
    assignee gets a new link. The assignee's own hand-over is `approvals delegate`."""
    from models.db import session_scope
    from tasks import audit
    from tasks.approvals import ADMIN, ApprovalError, reassign_for_absent
    from tasks.notify import dispatch_pending

    try:
        with session_scope() as session:
            task = reassign_for_absent(session, load_policy(), task_id, actor=by, to=to,
                                       reason=reason, via="cli")
            case_number = task.case_number
    except ApprovalError as refused:
        audit.record_alone(actor=by or ADMIN, action="reassign", outcome="refused", via="cli",
                           task_id=task_id, case_number=refused.case_number, reason=str(refused))
        raise
    dispatch_pending()
    typer.echo(f"task {task_id} ({case_number}) reassigned to {to}, by {by or ADMIN} "
               f"(entered by {audit.operator()})")
