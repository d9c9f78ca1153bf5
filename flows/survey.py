"""顾客满意度调查 (000 D4 §6) as a flow: one run per yearly round, scheduled in prefect.yaml.

the organiser sends the questionnaire and enters the answers → the analysis per aspect → below
the target: 纠正预防措施 — the owner's plan → the manager approves it (a send-back asks for a new
plan) → on the plan's due date the check of its effect (not effective: a new plan) → closed.
Every step is a clock the shared sweep escalates.
"""

from __future__ import annotations

from functools import partial

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact
from prefect.runtime import flow_run

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from policy.load import load_policy
from runtime.leases import record_run_process
from tasks.survey import case
from tasks.survey.card import survey_card_markdown


def run_name() -> str:
    return f"survey {flow_run.get_parameters().get('year') or case.current_year(load_policy())}"


@step(name="open-round")
def open_round(year: int | None) -> str:
    return case.open_round(load_policy(), year, current_run_id())


@step(name="ask-results")
def ask_results(number: str) -> int:
    return case.request_results(load_policy(), number, current_run_id())


@step(name="analyse-results")
def analyse_results(number: str) -> list[str]:
    return case.apply_results(load_policy(), number)


@step(name="ask-plan")
def ask_plan(number: str, round: int) -> int:
    return case.open_capa(load_policy(), number, round, current_run_id())


@step(name="apply-plan")
def apply_plan(number: str, round: int, task_id: int) -> str:
    return case.apply_plan(load_policy(), number, round, task_id)


@step(name="ask-plan-approval")
def ask_plan_approval(number: str, round: int) -> int:
    return case.request_plan_approval(load_policy(), number, round, current_run_id())


@step(name="apply-plan-approval")
def apply_plan_approval(number: str, round: int, task_id: int) -> str:
    return case.apply_plan_approval(load_policy(), number, round, task_id)


@step(name="ask-effect-check")
def ask_effect_check(number: str, round: int) -> int:
    return case.request_effect_check(load_policy(), number, round, current_run_id())


@step(name="apply-effect-check")
def apply_effect_check(number: str, round: int, task_id: int) -> str:
    return case.apply_effect_check(load_policy(), number, round, task_id)


@step(name="close-round")
def close_round(number: str) -> str:
    return case.close_round(load_policy(), number)


async def publish(number: str) -> None:
    await acreate_markdown_artifact(key=f"survey-{number.lower()}",
                                    markdown=survey_card_markdown(number),
                                    description=f"顾客满意度调查 {number}")


async def wait_for(number: str, task_id: int) -> None:
    send_notifications(number)
    await await_decision(task_id, show=partial(publish, number))


async def corrective_actions(number: str) -> None:
    """000 D4 §6 d: 纠正预防措施, round after round until a plan is approved and effective."""
    round = 1
    while True:
        plan = ask_plan(number, round)
        await wait_for(number, plan)
        apply_plan(number, round, plan)
        approval = ask_plan_approval(number, round)
        await wait_for(number, approval)
        if apply_plan_approval(number, round, approval) == "approved":
            check = ask_effect_check(number, round)
            await wait_for(number, check)
            if apply_effect_check(number, round, check) == "effective":
                return
        round += 1


@flow(name="survey", flow_run_name=run_name, persist_result=False, on_running=[record_run_process])
async def survey_round(year: int | None = None) -> str:
    """One yearly satisfaction survey, from the questionnaire to effective corrective actions."""
    with one_api_client():
        number = open_round(year)
        await wait_for(number, ask_results(number))
        if analyse_results(number):
            await corrective_actions(number)
        status = close_round(number)
        send_notifications(number)
        await publish(number)
        return status
