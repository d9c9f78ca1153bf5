"""超授信额开票发货 (004 D2) as a flow: one run per shipment over the customer's credit limit.

the limit (the 30 days' payments) and the excess decide the signer → the signer approves or
refuses (a clock the shared sweep escalates) → the decision is recorded on the customer and the
requester is told.
"""

from __future__ import annotations

from functools import partial

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from policy.load import load_policy
from runtime.leases import record_run_process
from tasks.credit import case
from tasks.credit.card import request_card_markdown


@step(name="check-limit")
def check_limit(number: str) -> bool:
    return case.needs_signature(number)


@step(name="ask-signature")
def ask_signature(number: str) -> int:
    return case.request_signature(load_policy(), number, current_run_id())


@step(name="apply-signature")
def apply_signature(number: str, task_id: int) -> str:
    return case.apply_signature(load_policy(), number, task_id)


async def publish(number: str) -> None:
    await acreate_markdown_artifact(key=f"credit-{number.lower()}",
                                    markdown=request_card_markdown(number),
                                    description=f"超授信额发货 {number}")


@flow(name="credit", flow_run_name="credit {number}", persist_result=False, on_running=[record_run_process])
async def credit_shipment(number: str) -> str:
    """One shipment over the limit, from the request to the signer's decision (004 D2 §2.2)."""
    with one_api_client():
        if not check_limit(number):
            return "within_limit"
        task_id = ask_signature(number)
        send_notifications(number)
        await await_decision(task_id, show=partial(publish, number))
        status = apply_signature(number, task_id)
        send_notifications(number)
        await publish(number)
        return status
