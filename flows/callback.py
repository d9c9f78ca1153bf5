"""客户回访 (004 D14 第1–2条; 003's closed loop) as a flow: one run per callback.

The caller phones (or visits) the customer within the window and records their satisfaction
on the 回访记录表 → satisfied: closed; not satisfied: the department head is told to put it
right and another callback follows (第二次、第三次…) up to the policy's last round.
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
from tasks.callback import case
from tasks.callback.card import callback_card_markdown, month_table


@step(name="ask-callback")
def ask_callback(number: str, round: int) -> int:
    return case.request_callback(load_policy(), number, round, current_run_id())


@step(name="record-satisfaction")
def record_satisfaction(number: str, task_id: int) -> str:
    return case.apply_result(load_policy(), number, task_id)


@step(name="close-callback")
def close_callback(number: str) -> str:
    return case.close_callback(number)


async def publish(number: str) -> None:
    """The callback's card, and this month's callback figures, on the dashboard."""
    await acreate_markdown_artifact(key=f"callback-{number.lower()}",
                                    markdown=callback_card_markdown(number),
                                    description=f"客户回访 {number}")
    await acreate_table_artifact(key="callback-month", table=markdown.table(month_table()),
                                 description="客户回访: this month's callback and satisfaction rates")


@flow(name="callback-plan", persist_result=False, on_running=[record_run_process])
def callback_plan() -> dict:
    """The day's callback plan (004 D14 §1.2: 客服部主管制定回访计划，逐一安排回访): draw the
    cases handled since, record each draw, and start a run for each callback chosen."""
    from runtime.callback_runs import draw_and_start

    return draw_and_start()


@flow(name="callback", flow_run_name="callback {number}", persist_result=False, on_running=[record_run_process])
async def callback_flow(number: str) -> str:
    """One callback from the draw to the customer's satisfaction (004 D14 §1.3, §1.9, §2.3)."""
    with one_api_client():
        round = 1
        while True:
            task_id = ask_callback(number, round)
            send_notifications(number)
            await await_decision(task_id, show=partial(publish, number))
            if record_satisfaction(number, task_id) != "again":
                break
            round += 1
        status = close_callback(number)
        send_notifications(number)
        await publish(number)
        return status
