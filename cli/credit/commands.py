"""``kefu credit``: goods payments, credit limits and over-limit shipments (004 D2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json
from policy.load import load_policy

credit_app = typer.Typer(help="Credit limits and over-limit shipments (授信, 004 D2).",
                         no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print JSON")]
CUSTOMER = Annotated[str, typer.Option(help="The customer's name")]
PHONE = Annotated[str | None, typer.Option(help="The customer's phone, where two share a name")]


def _operator() -> str:
    from tasks.audit import operator

    return operator() or "cli"


@credit_app.command("payment")
@clear_errors
def credit_payment(
    customer: CUSTOMER,
    amount: Annotated[str, typer.Option(help="The payment received, 元")],
    paid_on: Annotated[str | None, typer.Option(help="The day it was received (default: today)")] = None,
    phone: PHONE = None,
    note: Annotated[str | None, typer.Option(help="e.g. the bank slip's number")] = None,
    as_json: JSON = False,
) -> None:
    """Record a goods payment (回款): the credit limit is the last 30 days' payments."""
    from tasks.credit.case import record_payment

    result = record_payment(load_policy(), customer=customer, amount=amount, paid_on=paid_on,
                            by=_operator(), phone=phone, note=note)
    if as_json:
        emit_json(result)
        return
    typer.echo(f"{result['customer']}: {result['amount']} 元 ({result['paid_on']}); "
               f"授信额 today {result['limit_today']} 元")


@credit_app.command("import")
@clear_errors
def credit_import(file: Path, as_json: JSON = False) -> None:
    """Import payments from .csv (UTF-8 or GB18030) or .xlsx: columns customer, amount,
    paid_on (客户, 金额, 日期), optional phone. One bad cell and nothing is imported."""
    from tasks.credit.case import import_payments

    result = import_payments(load_policy(), file, _operator())
    if as_json:
        emit_json(result)
        return
    typer.echo(f"imported {result['payments']} payment(s), {result['total']} 元")


@credit_app.command("ship")
@clear_errors
def credit_ship(
    customer: CUSTOMER,
    amount: Annotated[str, typer.Option(help="The shipment's invoice amount, 元")],
    by: Annotated[str, typer.Option("--as", help="Who asks (a person key): told the decision")],
    ship_on: Annotated[str | None, typer.Option(help="The shipment day (default: today)")] = None,
    phone: PHONE = None,
    as_json: JSON = False,
) -> None:
    """Check a shipment (开票发货) against the limit; over it, the signer the policy names for
    the excess is asked and the shipment waits (004 D2 §2.2)."""
    from runtime.credit_runs import start_credit_run
    from runtime.runs import PrefectUnavailable
    from tasks.credit.case import request_shipment

    request = request_shipment(load_policy(), customer=customer, amount=amount, ship_on=ship_on,
                               by=by, phone=phone)
    run_id = None
    if request.status == "pending":
        try:
            run_id = start_credit_run(request.number)
        except PrefectUnavailable as exc:
            typer.secho(f"warning: {request.number} is stored; its flow run could not start "
                        f"({exc})", err=True, fg=typer.colors.YELLOW)
    view = {"number": request.number, "status": request.status, "amount": str(request.amount),
            "credit_limit": str(request.credit_limit), "excess": str(request.excess),
            "level": request.approver_level, "approver": request.approver_key,
            "flow_run_id": run_id}
    if as_json:
        emit_json(view)
        return
    if request.status == "within_limit":
        typer.echo(f"{request.number}: within the limit ({view['credit_limit']} 元): ship")
    else:
        typer.echo(f"{request.number}: {view['excess']} 元 over the limit ({view['credit_limit']}"
                   f" 元): waits for {request.approver_key}")


@credit_app.command("show")
@clear_errors
def credit_show(number: str, as_json: JSON = False) -> None:
    """One shipment request: limit, excess, signer, decision and history."""
    from tasks.credit.card import request_card_text
    from tasks.credit.case import request_view

    if as_json:
        emit_json(request_view(number))
    else:
        typer.echo(request_card_text(number))


@credit_app.command("customer")
@clear_errors
def credit_customer(
    name: str,
    phone: PHONE = None,
    on: Annotated[str | None, typer.Option(help="The limit on this day (default: today)")] = None,
    as_json: JSON = False,
) -> None:
    """A customer's credit limit, the payments that make it, and every shipment decision."""
    from tasks.credit.case import customer_view

    view = customer_view(load_policy(), name, phone, on)
    if as_json:
        emit_json(view)
        return
    typer.echo(f"{view['customer']}: 授信额 {view['credit_limit']} 元 on {view['on']} "
               f"(payments {view['window'][0]} … {view['window'][1]})")
    for d in view["decisions"]:
        typer.echo(f"  {d['number']} {d['ship_on']} {d['amount']} 元: {d['status']}"
                   f"{' by ' + d['decided_by'] if d['decided_by'] else ''}")
