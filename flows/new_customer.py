"""销售部门新客户开发管理办法 (000 D8) as a flow: one run per development project.

qualify (or the leader overrides) → 立项申请书: group → deputy → leader → 费用预算表 within
7 days: deputy → finance → leader → reviews (tracking every 30 days and the 90-day attention
check run on the shared sweep) → the 180-day special study → the year report chain →
hand over (registration within 5 working days) / suspend / terminate.
"""

from __future__ import annotations

from functools import partial

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from policy.load import load_policy
from runtime.leases import record_run_process
from tasks import markdown
from tasks.new_customer import case
from tasks.new_customer.card import projects_table, prospect_card_markdown
from tasks.notify import dispatch_pending


@step(name="check-qualification")
def check_qualification(number: str) -> bool:
    return case.is_qualified(number)


@step(name="ask-override")
def ask_override(number: str) -> int:
    return case.request_override(load_policy(), number, current_run_id())


@step(name="apply-override")
def apply_override(number: str, task_id: int) -> bool:
    return case.apply_override(load_policy(), number, task_id)


@step(name="ask-approval")
def ask_approval(number: str, chain: str, index: int, round: int) -> int:
    return case.request_chain_step(load_policy(), number, chain, index, round, current_run_id())


@step(name="apply-approval")
def apply_approval(number: str, chain: str, index: int, task_id: int) -> str:
    return case.apply_chain_step(load_policy(), number, chain, index, task_id)


@step(name="ask-budget")
def ask_budget(number: str, round: int) -> int:
    return case.request_budget(load_policy(), number, round, current_run_id())


@step(name="start-reviews")
def start_reviews(number: str) -> int:
    return case.start_reviews(load_policy(), number, current_run_id())


@step(name="apply-outcome")
def apply_outcome(number: str, task_id: int) -> str:
    return case.apply_outcome(load_policy(), number, task_id)


@step(name="report-outcome")
def report_outcome(number: str) -> str:
    return case.report_outcome(number)


@step(name="ask-registration")
def ask_registration(number: str) -> int:
    return case.request_registration(load_policy(), number, current_run_id())


@step(name="close-project")
def close_project(number: str, outcome: str) -> str:
    return case.close_project(load_policy(), number, outcome)


async def publish(number: str) -> None:
    """The project card, with its coming reviews, and the overview of every project and its
    next review, on the dashboard."""
    await acreate_markdown_artifact(key=f"prospect-{number.lower()}",
                                    markdown=prospect_card_markdown(number),
                                    description=f"新客户开发 {number}")
    await acreate_table_artifact(key="new-customer-projects", table=markdown.table(projects_table()),
                                 description="新客户开发: every project and its next review")


async def wait_for(number: str, task_id: int) -> None:
    """Tell the people asked, then wait for their decision; the cards are published only
    when the run really parks (as the complaint flow waits)."""
    send_notifications(number)
    await await_decision(task_id, show=partial(publish, number))


async def finish(number: str) -> None:
    """The last messages and the final cards of a project that has ended."""
    send_notifications(number)
    await publish(number)


async def approval_chain(number: str, chain: str, round: int) -> str:
    """One pass of a sequential chain: "approved", "rejected" or "send_back"."""
    for index in range(len(case.chain(case.rules_of(load_policy()), chain))):
        task_id = ask_approval(number, chain, index, round)
        await wait_for(number, task_id)
        result = apply_approval(number, chain, index, task_id)
        if result != "next":
            return result
    return "approved"


async def approve_project(number: str) -> bool:
    """000 D8 §3: the group evaluates, the deputy audits, the leader approves; a send-back
    starts the chain again."""
    if not check_qualification(number):
        task_id = ask_override(number)
        await wait_for(number, task_id)
        if not apply_override(number, task_id):
            return False
    round = 1
    while (result := await approval_chain(number, "application", round)) == "send_back":
        round += 1
    return result == "approved"


async def approve_budget(number: str) -> None:
    """000 D8 §5: the owner's budget within 7 days; deputy and finance audit, the leader
    approves; a refusal asks the owner for a new budget."""
    round = 1
    while True:
        await wait_for(number, ask_budget(number, round))
        if await approval_chain(number, "budget", round) == "approved":
            return
        round += 1


async def year_report(number: str) -> str:
    """000 D8 §4.2: a year without reaching the standard → written report → group → deputy
    → leader, who decides the outcome."""
    round = 1
    while await approval_chain(number, "report", round) != "approved":
        round += 1
    return report_outcome(number)


@flow(name="new-customer", flow_run_name="prospect {number}", persist_result=False, on_running=[record_run_process])
async def new_customer_flow(number: str) -> str:
    """One development project from application to hand-over or closing (000 D8 §3–§5)."""
    with one_api_client():
        if not await approve_project(number):
            await finish(number)
            return "rejected"
        special_study = start_reviews(number)
        await approve_budget(number)
        await wait_for(number, special_study)
        outcome = apply_outcome(number, special_study)
        if outcome == "continue":
            outcome = await year_report(number)
        if outcome == "hand_over":
            await wait_for(number, ask_registration(number))
        status = close_project(number, outcome)
        await finish(number)
        return status


@step(name="ask-reward-decision")
def ask_reward(year: int, index: int, round: int) -> int:
    return case.request_reward_step(load_policy(), year, index, round, current_run_id())


@step(name="apply-reward-decision")
def apply_reward(year: int, index: int, task_id: int) -> str:
    return case.apply_reward_step(load_policy(), year, index, task_id)


@flow(name="new-customer-reward", flow_run_name="new-customer reward {year}", persist_result=False,
      on_running=[record_run_process])
async def new_customer_reward_flow(year: int) -> str:
    """000 D8 §6: the year's won projects → the review group proposes the reward → finance
    audits → the chairman approves; a send-back starts again."""
    number = case.reward_case(load_policy(), year)
    with one_api_client():
        round = 1
        while True:
            for index in range(len(case.rules_of(load_policy()).reward_chain)):
                task_id = ask_reward(year, index, round)
                dispatch_pending(case_number=number)
                await await_decision(task_id)
                result = apply_reward(year, index, task_id)
                if result != "next":
                    break
            if result != "send_back":
                return result
            round += 1
