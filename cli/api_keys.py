"""``kefu api-keys create | list | revoke``: the callers of the HTTP API (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import clear_errors, emit_json
from policy.load import load_policy

api_keys_app = typer.Typer(help="API keys of the HTTP API (/api/v1).", no_args_is_help=True)


@api_keys_app.command("create")
@clear_errors
def create(
    name: Annotated[str, typer.Option(help="What calls with it: hotline, webform, chen.qe-phone")],
    scope: Annotated[str, typer.Option(help="intake (file and read complaints) or person")],
    person: Annotated[str | None, typer.Option(help="The person a person key acts as")] = None,
) -> None:
    """Create a key and print its token, once (only its SHA-256 is stored)."""
    from inbox.api_keys import create_key
    from models.db import session_scope
    from tasks import audit

    with session_scope() as session:
        token = create_key(session, load_policy(), name, scope, person)
        audit.record(session, actor=audit.operator() or "admin", action="api_key_create",
                     via="cli", name=name, scope=scope, person=person)
    typer.echo(token)
    typer.echo(f"API key {name} ({scope}{' as ' + person if person else ''}): the token above "
               f"is shown only now; send it as 'Authorization: Bearer <token>'", err=True)


@api_keys_app.command("list")
@clear_errors
def list_keys(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every key: name, scope, person, created, revoked (never the token)."""
    from inbox.api_keys import all_keys
    from models.db import session_scope

    with session_scope() as session:
        rows = [{"name": k.name, "scope": k.scope, "person": k.person_key,
                 "created_at": k.created_at.isoformat(),
                 "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None}
                for k in all_keys(session)]
    if as_json:
        emit_json(rows)
        return
    from policy.load import load_policy
    from tasks.deadlines import local_time

    tz = load_policy().calendar.timezone
    for row in rows:
        typer.echo(f"{row['name']:<24} {row['scope']:<8} {row['person'] or '—':<16} "
                   f"{'revoked ' + local_time(row['revoked_at'], tz) if row['revoked_at'] else 'live'}")
    if not rows:
        typer.echo("no API keys")


@api_keys_app.command("revoke")
@clear_errors
def revoke(name: Annotated[str, typer.Argument(help="The key's name")]) -> None:
    """Revoke a key: every call with it is refused (401) from now on."""
    from inbox.api_keys import revoke_key
    from models.db import session_scope
    from tasks import audit

    with session_scope() as session:
        revoke_key(session, name)
        audit.record(session, actor=audit.operator() or "admin", action="api_key_revoke",
                     via="cli", name=name)
    typer.echo(f"API key {name} revoked")
