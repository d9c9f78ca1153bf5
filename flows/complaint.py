"""酒厂客户投诉管理制度 (000 D2) as a flow: one run per complaint.

register → classify (or 营销办管理部 classifies by hand) → route to the responsible
department → reply to the customer → handling decision(s) → 客户处理反馈单 → the customer's
opinion (not satisfied: handle again) → archive.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from policy.load import load_policy
from tasks.complaint import case
from tasks.complaint.card import case_card_markdown


@step(name="classify")
def classify(number: str) -> str | None:
    return case.classify_complaint(load_policy(), number, current_run_id())


@step(name="ask-triage")
def ask_triage(number: str) -> int:
    return case.request_triage(load_policy(), number, current_run_id())


@step(name="apply-triage")
def apply_triage(number: str, task_id: int) -> str:
    return case.apply_triage(load_policy(), number, task_id)


@step(name="route")
def route(number: str) -> dict:
    return case.route_complaint(load_policy(), number)


@step(name="reply-to-customer")
def reply_to_customer(number: str) -> int | None:
    return case.reply_to_customer(load_policy(), number, current_run_id())


@step(name="record-call")
def record_call(number: str, task_id: int) -> None:
    case.record_call(load_policy(), number, task_id)


@step(name="ask-handling-decision")
def ask_handling_decision(number: str, step_key: str) -> int:
    policy = load_policy()
    chosen = next(s for s in policy.complaint.handling_steps if s.key == step_key)
    return case.request_handling_step(policy, number, chosen, current_run_id())


@step(name="apply-handling-decision")
def apply_handling_decision(number: str, task_id: int, last_step: bool) -> str:
    return case.apply_handling_decision(load_policy(), number, task_id, last_step)


@step(name="send-feedback-form")
def send_feedback_form(number: str) -> int | None:
    return case.send_feedback_form(load_policy(), number, current_run_id())


@step(name="ask-customer-opinion")
def ask_customer_opinion(number: str) -> int:
    return case.request_customer_opinion(load_policy(), number, current_run_id())


@step(name="apply-customer-opinion")
def apply_customer_opinion(number: str, task_id: int) -> str:
    return case.apply_customer_opinion(load_policy(), number, task_id)


@step(name="archive")
def archive(number: str) -> None:
    case.archive_complaint(load_policy(), number)


@step(name="case-card")
def case_card(number: str) -> str:
    return case_card_markdown(number)


async def publish(number: str) -> None:
    """The case card on the dashboard: when the run parks for a person, and at the end."""
    await acreate_markdown_artifact(
        key=f"complaint-{number.lower()}", markdown=case_card(number),
        description=f"投诉 {number}",
    )


async def name_run(number: str, routed: dict) -> None:
    """Name and tag the run after the case once it is routed (a resumed run re-runs from the
    top: only the first time)."""
    run_id = current_run_id()
    name = f"complaint {number} {routed['category']}"
    if not run_id or flow_run.get_name() == name:
        return
    async with get_client() as client:
        await client.update_flow_run(
            run_id, name=name,
            tags=["process:complaint", f"category:{routed['category']}",
                  f"department:{routed['department']}",
                  *([f"priority:{routed['priority']}"] if routed.get("priority") else [])],
        )


async def reach_customer(number: str, send: Callable[[str], int | None]) -> None:
    """Send the customer a message (the reply, the 客户处理反馈单); when no channel reaches
    them, wait until the person asked has phoned them (000 D2 §2.1, §4.1)."""
    call = send(number)
    if call is None:
        return
    send_notifications(number)
    await await_decision(call, show=partial(publish, number))
    record_call(number, call)


async def handle(number: str) -> str:
    """The handling chain of the policy (one step in 000 D2; quality lead then manager in
    001 Doc13). Returns "handled", "triage" or "restart"."""
    steps = load_policy().complaint.handling_steps
    for index, chosen in enumerate(steps):
        task_id = ask_handling_decision(number, chosen.key)
        send_notifications(number)
        await await_decision(task_id, show=partial(publish, number))
        outcome = apply_handling_decision(number, task_id, index == len(steps) - 1)
        if outcome != "next":
            return outcome
    return "handled"


async def register_and_handle(number: str) -> None:
    """Until handling is over: classify (by hand when no rule matches), route, reply to the
    customer, and run the handling chain; a send-back starts over."""
    while True:
        if classify(number) is None:
            task_id = ask_triage(number)
            send_notifications(number)
            await await_decision(task_id, show=partial(publish, number))
            if apply_triage(number, task_id) == "rejected":
                await reach_customer(number, reply_to_customer)
                return
        routed = route(number)
        await name_run(number, routed)
        await reach_customer(number, reply_to_customer)
        send_notifications(number)
        if await handle(number) == "handled":
            return


# Steps retry a lost database connection on their own; as every step is idempotent, a run
# that still fails re-runs whole (its run count includes its resumes: early runs only).
@flow(name="complaint", flow_run_name="complaint {number}", persist_result=False, retries=3,
      retry_delay_seconds=2)
async def complaint_flow(number: str) -> str:
    """One complaint from registration to archive (000 D2 §2–§4)."""
    with one_api_client():
        while True:
            await register_and_handle(number)
            await reach_customer(number, send_feedback_form)
            task_id = ask_customer_opinion(number)
            send_notifications(number)
            await await_decision(task_id, show=partial(publish, number))
            if apply_customer_opinion(number, task_id) == "closed":
                break
        archive(number)
        send_notifications(number)
        await publish(number)
        return "archived"
