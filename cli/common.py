"""What every ``kefu`` command shares: one-line errors (exit 2) and JSON output."""

from __future__ import annotations

import functools
import json

import typer
from sqlalchemy.exc import DatabaseError

from policy.load import PolicyError
from tasks.approvals import ApprovalError
from tasks.deadlines import ClockError


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def clear_errors(command):
    """Expected failures become one line on stderr and exit 2; nothing was written."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        # A process's input errors (IntakeError, …) are ValueErrors naming their field.
        except KeyError as exc:  # str() of a KeyError quotes its message: unquote it
            fail(str(exc.args[0]) if exc.args else "not found")
        except (ApprovalError, PolicyError, ClockError, LookupError, ValueError) as exc:
            fail(str(exc))
        except DatabaseError as exc:
            fail(f"database: {str(exc.orig).splitlines()[0]} — is it reachable, and migrated "
                 f"(`kefu init`)?")
    return wrapper


def emit_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
