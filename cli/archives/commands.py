"""``kefu archives``: customer archives and their confidentiality (000 D11, 000 D9 §1.5,
004 第19–22条, 001 §6.10)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from policy.load import load_policy

archives_app = typer.Typer(help="Customer archives: levels, borrowing, return, destruction (客户档案).",
                           no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print JSON")]
AS = Annotated[str, typer.Option("--as", help="The person (a person key)")]
KIND = Annotated[str, typer.Option("--kind", help="complaint (an archived case) or customer")]


def _emit(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _start_run(number: str) -> str | None:
    from runtime.archive_runs import start_archive_run
    from runtime.runs import PrefectUnavailable

    try:
        return start_archive_run(number)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is stored; its flow run could not start ({exc})",
                    err=True, fg=typer.colors.YELLOW)
        return None


def archives_mark(record: Annotated[str, typer.Argument(help="Case number or customer name")],
                  level: Annotated[str, typer.Option(help="secret (秘密), confidential (机密), top_secret (绝密)")],
                  as_: AS, kind: KIND = "complaint") -> None:
    """标明密级: mark an archived record's level (000 D11 §3.4)."""
    from tasks.archives.case import mark

    _emit(mark(load_policy(), kind, record, level, as_))


def _file(kind: str, record: str, record_kind: str, as_: str, reason: str, as_json: bool) -> None:
    from tasks.archives.case import file_request

    request = file_request(load_policy(), kind=kind, record_kind=record_kind, record_key=record,
                           requester=as_, reason=reason)
    run_id = _start_run(request.number)
    if as_json:
        _emit({"number": request.number, "flow_run_id": run_id})
        return
    typer.echo(f"{request.number}  {record}  requested by {as_}")


def archives_request(record: Annotated[str, typer.Argument(help="Case number or customer name")],
                     as_: AS, reason: Annotated[str, typer.Option(help="Why (借阅理由)")],
                     kind: KIND = "complaint", as_json: JSON = False) -> None:
    """借阅申请: ask to read an archived record; approved by the department manager (own
    department) or the general manager (another department's, 绝密); lent for 3 days."""
    _file("borrow", record, kind, as_, reason, as_json)


def archives_destroy(record: Annotated[str, typer.Argument(help="Case number or customer name")],
                     as_: AS, reason: Annotated[str, typer.Option(help="Why (销毁理由)")],
                     kind: KIND = "complaint", as_json: JSON = False) -> None:
    """销毁申请: three approvals in order (001 §6.10) before the record is destroyed."""
    _file("destroy", record, kind, as_, reason, as_json)


def archives_return(number: Annotated[str, typer.Argument(help="The loan, DA-…")], as_: AS) -> None:
    """The borrowed record is back (004 第20条): the loan ends now."""
    from runtime.runs import PrefectUnavailable, wake_task
    from tasks.archives.case import record_return

    done = record_return(load_policy(), number, as_)
    typer.echo(f"{number} returned")
    if done["task_id"]:
        try:
            wake_task(done["task_id"])
        except PrefectUnavailable as exc:
            typer.secho(f"warning: recorded; the flow continues when Prefect is back ({exc})",
                        err=True, fg=typer.colors.YELLOW)


def archives_show(number: Annotated[str, typer.Argument(help="A request DA-…, or a record with --as")],
                  as_: Annotated[str | None, typer.Option("--as", help="Read the record as this person")] = None,
                  kind: KIND = "complaint", as_json: JSON = False) -> None:
    """A request (DA-…): its status, loan and approvals. A record with --as: its level, and
    whether that person may read it now (audited)."""
    from tasks.archives.case import request_view
    from tasks.confidentiality import check_read_alone

    policy = load_policy()
    if number.startswith(f"{policy.archives.number_prefix}-") and as_ is None:
        _emit(request_view(number)) if as_json else typer.echo(
            "\n".join(f"{k}: {v}" for k, v in request_view(number).items() if k != "approvals"))
        return
    if as_ is None:
        raise ValueError("--as: name the reader of the record")
    policy.organisation.person(as_)
    decision = check_read_alone(policy, as_, kind, number, actor=as_, via="cli")
    result = {"record": number, "level": decision.level, "allowed": decision.allowed,
              "reason": decision.reason, "loan": decision.loan}
    if as_json:
        _emit(result)
    else:
        typer.echo(f"{number}: {'可以查阅' if decision.allowed else '不得查阅'} ({decision.reason})")
    if not decision.allowed:
        raise typer.Exit(2)


def register(app: typer.Typer, clear_errors) -> None:  # noqa: ANN001  (cli.main's error guard)
    for name, command in (("mark", archives_mark), ("request", archives_request),
                          ("show", archives_show), ("return", archives_return),
                          ("destroy", archives_destroy)):
        archives_app.command(name)(clear_errors(command))
    app.add_typer(archives_app, name="archives")
