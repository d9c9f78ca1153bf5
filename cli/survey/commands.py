"""``kefu survey``: the yearly customer satisfaction survey and its corrective actions
(顾客满意度调查, 纠正预防措施, 000 D4 §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import clear_errors, emit_json
from policy.load import load_policy

survey_app = typer.Typer(help="The satisfaction survey and its corrective actions (000 D4 §6).",
                         no_args_is_help=True)
JSON = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _wake(task_id: int) -> None:
    from runtime.runs import PrefectUnavailable, wake_task

    try:
        typer.echo(f"flow run: {wake_task(task_id)}", err=True)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: recorded; the flow continues when Prefect is back ({exc})",
                    err=True, fg=typer.colors.YELLOW)


@survey_app.command("start")
@clear_errors
def survey_start(
    year: Annotated[int | None, typer.Option(help="The survey's year (default: this year)")] = None,
    as_json: JSON = False,
) -> None:
    """Start the year's survey now instead of waiting for prefect.yaml's `survey` schedule."""
    from runtime.runs import PrefectUnavailable
    from runtime.survey_runs import start_survey_run
    from tasks.survey.case import open_round

    number = open_round(load_policy(), year)
    run_id = None
    try:
        run_id = start_survey_run(number)
    except PrefectUnavailable as exc:
        typer.secho(f"warning: {number} is stored; its flow run could not start ({exc})",
                    err=True, fg=typer.colors.YELLOW)
    if as_json:
        emit_json({"number": number, "flow_run_id": run_id})
        return
    typer.echo(number)


@survey_app.command("import")
@clear_errors
def survey_import(
    file: Path,
    round_: Annotated[str, typer.Option("--round", help="The round, e.g. MY-2026")],
    by: Annotated[str, typer.Option("--as", help="The organiser who entered the answers")],
    as_json: JSON = False,
) -> None:
    """Enter the questionnaires: a .csv (UTF-8, or GB18030 as Excel saves "CSV (逗号分隔)") or
    .xlsx with a column per aspect (service/服务质量, price/套餐价格, company/公司评价) and answers
    1–5, one row per customer. Every cell is checked first; one bad cell and nothing is
    imported. Aspects below the target open corrective actions."""
    from tasks.survey.case import import_results

    result = import_results(load_policy(), round_, file, by)
    _wake(result["task"])
    if as_json:
        emit_json(result)
        return
    rates = "，".join(f"{k} {v['rate']}%" for k, v in result["results"].items())
    typer.echo(f"{round_}: {result['responses']} 份调查表；{rates}")
    if result["below_target"]:
        typer.echo(f"低于目标 {result['target_percent']}%：{', '.join(result['below_target'])}"
                   f" → 纠正预防措施")


@survey_app.command("plan")
@clear_errors
def survey_plan(
    round_: Annotated[str, typer.Argument(metavar="ROUND", help="The round, e.g. MY-2026")],
    by: Annotated[str, typer.Option("--as", help="The corrective actions' owner")],
    plan: Annotated[str, typer.Option(help="The corrective and preventive actions")],
    due: Annotated[str | None, typer.Option(help="Done by this day (default: the policy's action period)")] = None,
) -> None:
    """Submit the corrective-action plan (纠正预防措施); the manager is asked to approve it."""
    from tasks.survey.case import submit_plan

    result = submit_plan(load_policy(), round_, by, plan, due)
    typer.echo(f"{round_}: plan of round {result['capa_round']} submitted")
    _wake(result["task"])


@survey_app.command("show")
@clear_errors
def survey_show(
    round_: Annotated[str, typer.Argument(metavar="ROUND")],
    as_json: JSON = False,
) -> None:
    """The round: its analysis, corrective actions, approvals and history."""
    from tasks.survey.card import survey_card_text
    from tasks.survey.case import survey_view

    if as_json:
        emit_json(survey_view(round_))
    else:
        typer.echo(survey_card_text(round_))
