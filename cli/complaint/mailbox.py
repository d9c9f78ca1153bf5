"""``kefu mailbox poll``: file the new mails of the complaints mailbox (KEFU_MAILBOX_URL) as
written complaints (书面投诉)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json, fail
from policy.load import load_policy

mailbox_app = typer.Typer(help="The complaints mailbox (KEFU_MAILBOX_URL).", no_args_is_help=True)


@mailbox_app.command("poll")
@clear_errors
def mailbox_poll(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """File each new mail as a written complaint, once per Message-ID; the worker starts the
    cases' flow runs. A mail that cannot be filed is recorded with the reason and not read
    again."""
    from tasks.complaint.mail_intake import poll
    from tasks.imap import MailboxError, mailbox_address

    url = os.environ.get("KEFU_MAILBOX_URL", "").strip()
    if not url:
        fail("KEFU_MAILBOX_URL is not set (imaps://user:password@host:993/INBOX)")
    address = mailbox_address(url)
    try:
        outcomes = poll(load_policy(), address)
    except MailboxError as exc:
        fail(f"mailbox: {exc}")
    if as_json:
        emit_json([{"message_id": o.message_id, "sender": o.sender, "number": o.number,
                    "reason": o.reason} for o in outcomes])
        return
    for o in outcomes:
        if o.number:
            typer.echo(f"filed {o.number}  {o.sender}  {o.message_id}")
        else:
            typer.echo(f"not filed  {o.sender}  {o.message_id}: {o.reason} "
                       f"(recorded; not tried again)")
    filed = sum(1 for o in outcomes if o.number)
    typer.echo(f"{address}: {len(outcomes)} new mail(s), {filed} filed, "
               f"{len(outcomes) - filed} not filed")
