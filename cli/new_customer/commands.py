"""``kefu new-customer``: new-customer development projects (新客户开发, 000 D8)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from policy.load import load_policy
from tasks.text import one_line

prospect_app = typer.Typer(help="New-customer development projects (新客户开发).",
                           no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _emit(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _start_run(number: str) -> str | None:
    from runtime.new_customer_runs import start_prospect_run
    from runtime.runs import PrefectUnavailable

    try:
        return start_prospect_run(number)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is stored; its flow run could not start ({exc})",
                    err=True, fg=typer.colors.YELLOW)
        return None


def _wake(task_id: int) -> None:
    from runtime.runs import PrefectUnavailable, wake_task

    try:
        typer.echo(f"flow run: {wake_task(task_id)}", err=True)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: recorded; the flow continues when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)


def prospect_apply(
    name: Annotated[str, typer.Option(help="The prospect's name")],
    product_line: Annotated[str, typer.Option(help="cast_balls or equipment (policy thresholds)")],
    expected_annual_revenue: Annotated[str, typer.Option(help="Expected annual new business, 元")],
    owner: Annotated[str, typer.Option(help="The salesperson who develops it (a person key)")],
    as_json: JSON = False,
) -> None:
    """File a 新客户开发立项申请书; prints its number and starts its flow run."""
    from tasks.new_customer.case import apply_prospect

    prospect = apply_prospect(load_policy(), name=name, product_line=product_line,
                              expected_annual_revenue=expected_annual_revenue, owner=owner)
    run_id = _start_run(prospect.number)
    if as_json:
        _emit({"number": prospect.number, "qualified": prospect.qualified,
                   "reason": prospect.qualification_reason, "flow_run_id": run_id})
        return
    typer.echo(prospect.number)
    if not prospect.qualified:
        typer.echo(f"does not qualify: {prospect.qualification_reason}; the leader decides "
                   f"whether it goes ahead")


def prospect_show(number: str, as_json: JSON = False) -> None:
    """Status, approvals, budget, next review, reviews and history of one project."""
    from tasks.new_customer.card import prospect_card_text, prospect_view

    if as_json:
        _emit(prospect_view(number))
    else:
        typer.echo(prospect_card_text(number))


def prospect_list(as_json: JSON = False) -> None:
    """Every project, newest first, with its next review."""
    from tasks.deadlines import local_time
    from tasks.new_customer.card import projects_table
    from tasks.text import one_line

    rows = projects_table()
    if as_json:
        _emit(rows)
        return
    from tasks import labels

    policy = load_policy()
    tz = policy.calendar.timezone
    for row in rows:
        nxt = (f"{labels.clock(row['next_review'])} {local_time(row['next_review_due_at'], tz)}"
               if row["next_review"] else "—")
        typer.echo(f"{row['number']}  {labels.status(row['status'])}  "
                   f"{labels.person(row['owner'], policy.organisation)}  {one_line(row['name'])}  "
                   f"下次评审：{nxt}")
    if not rows:
        typer.echo("no prospects")


def prospect_track(
    number: str,
    note: Annotated[str, typer.Option(help="What happened (跟踪记录)")],
    progress: Annotated[bool, typer.Option("--progress", help="Marks real progress")] = False,
    as_json: JSON = False,
) -> None:
    """Record a tracking record (at least every 30 days, 000 D8 §4.1)."""
    from tasks.deadlines import local_time
    from tasks.new_customer.case import track

    policy = load_policy()
    done = track(policy, number, note, progress)
    if as_json:
        _emit(done)
    else:
        typer.echo(f"{number}: recorded; next tracking record due "
                   f"{local_time(done['next_tracking_due_at'], policy.calendar.timezone)}")


def prospect_budget(
    number: str,
    amount: Annotated[str, typer.Option(help="The preliminary budget, 元 (≤ 30,000)")],
) -> None:
    """Submit the 费用预算表 (within 7 days of approval); it goes to the audit chain."""
    from tasks.new_customer.case import submit_budget

    task_id = submit_budget(load_policy(), number, amount)
    typer.echo(f"{number}: budget {amount} submitted for audit")
    _wake(task_id)


def prospect_spend(
    number: str,
    amount: Annotated[str, typer.Option(help="The actual expense, 元")],
    as_json: JSON = False,
) -> None:
    """Record an actual expense; more than 5% over budget needs the leader's approval."""
    from tasks.new_customer.case import record_spend

    spend = record_spend(load_policy(), number, amount)
    if as_json:
        _emit(spend)
    elif spend["approval_task_id"]:
        typer.echo(f"{number}: {amount} is over budget; waiting for approval task "
                   f"{spend['approval_task_id']}")
    else:
        typer.echo(f"{number}: {amount} recorded")


def prospect_register(
    number: str,
    phone: Annotated[str, typer.Option(help="The new customer's phone")],
    territory: Annotated[str | None, typer.Option(help="Sales territory (east, south, north)")] = None,
    email: Annotated[str | None, typer.Option(help="The customer's e-mail")] = None,
    address: Annotated[str | None, typer.Option(help="The customer's address")] = None,
    grade: Annotated[str | None, typer.Option(
        help="Temporary grade (000 D7 §5.1.2 D); default: the policy's new_customer.temporary_grade")
    ] = None,
) -> None:
    """Fill in the won customer's 客户基本信息表 (within 5 working days, 000 D9)."""
    from tasks.new_customer.case import register_customer

    task_id = register_customer(load_policy(), number, phone=phone, territory=territory,
                                email=email, address=address, grade=grade)
    rules = load_policy().new_customer
    typer.echo(f"{number}: 已登记为客户，暂定等级 {(grade or '').strip() or rules.temporary_grade}"
               f"（合作满 {rules.temporary_tier_review_months} 个月后评定）")
    _wake(task_id)


def prospect_withdraw(
    number: str,
    reason: Annotated[str, typer.Option(help="Why the applicant withdraws (撤回理由)")],
    as_json: JSON = False,
) -> None:
    """Withdraw a 立项申请书 still in the approval chain; its open questions are withdrawn."""
    from runtime.new_customer_runs import cancel_prospect_run
    from runtime.runs import PrefectUnavailable
    from tasks.new_customer.case import withdraw

    done = withdraw(load_policy(), number, reason)
    if done["flow_run_id"]:
        try:
            cancel_prospect_run(done["flow_run_id"], f"申请已撤回：{one_line(reason)}")
        except PrefectUnavailable as exc:
            typer.secho(f"warning: {number} is withdrawn; its flow run could not be ended ({exc})",
                        err=True, fg=typer.colors.YELLOW)
    if as_json:
        _emit(done)
    else:
        typer.echo(f"{number}: 立项申请已撤回，{done['cancelled_tasks']} 项待办已取消")


def prospect_reschedule(as_json: JSON = False) -> None:
    """Move every pending review to the offsets now in the policy file."""
    from tasks.deadlines import local_time
    from tasks.new_customer.case import reschedule

    policy = load_policy()
    moved = reschedule(policy)
    if as_json:
        _emit(moved)
        return
    tz = policy.calendar.timezone
    for row in moved:
        typer.echo(f"{row['prospect']} {row['review']}: {local_time(row['from'], tz)} → "
                   f"{local_time(row['to'], tz)}")
    typer.echo(f"{len(moved)} review(s) moved")


def prospect_reward(
    year: Annotated[int, typer.Option(help="The year whose won projects are rewarded")],
) -> None:
    """Start the year-end reward proposal: review group → finance → chairman (000 D8 §6)."""
    from runtime.new_customer_runs import start_reward_run
    from runtime.runs import PrefectUnavailable
    from tasks.new_customer.case import propose_reward

    number = propose_reward(load_policy(), year)
    typer.echo(number)
    try:
        start_reward_run(year)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is stored; its flow run could not start ({exc})",
                    err=True, fg=typer.colors.YELLOW)


def register(app: typer.Typer, clear_errors) -> None:  # noqa: ANN001  (cli.main's error guard)
    """Add ``kefu new-customer …`` to the kefu command, each command behind kefu's error
    guard; ``kefu new-customer …``, its name before the processes had one name each, still works."""
    for name, command in (("apply", prospect_apply), ("show", prospect_show),
                          ("list", prospect_list), ("track", prospect_track),
                          ("budget", prospect_budget), ("spend", prospect_spend),
                          ("register", prospect_register), ("withdraw", prospect_withdraw),
                          ("reschedule", prospect_reschedule),
                          ("reward", prospect_reward)):
        prospect_app.command(name)(clear_errors(command))
    app.add_typer(prospect_app, name="new-customer")
    app.add_typer(prospect_app, name="prospect", hidden=True)
