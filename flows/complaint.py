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
from runtime.leases import record_run_process
from tasks.complaint import case, variant_steps
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


# --- The variants' steps (README "Complaint variants"; none runs under the default policy) --

@step(name="assess-major")
def assess_major(number: str) -> list[str]:
    return variant_steps.assess_major(load_policy(), number)


@step(name="ask-major-warning")
def ask_major_warning(number: str) -> int | None:
    return variant_steps.request_major_warning(load_policy(), number, current_run_id())


@step(name="send-major-warning")
def send_major_warning(number: str, task_id: int) -> None:
    variant_steps.send_major_warning(load_policy(), number, task_id)


@step(name="call-emergency-meeting")
def call_emergency_meeting(number: str) -> int | None:
    return variant_steps.request_emergency_meeting(load_policy(), number, current_run_id())


@step(name="record-emergency-meeting")
def record_emergency_meeting(number: str, task_id: int) -> None:
    variant_steps.record_emergency_meeting(load_policy(), number, task_id)


@step(name="ask-compensation")
def ask_compensation(number: str, handling_task_id: int) -> int:
    return variant_steps.request_compensation(load_policy(), number, handling_task_id,
                                              current_run_id())


@step(name="apply-compensation")
def apply_compensation(number: str, handling_task_id: int, task_id: int) -> str:
    return variant_steps.apply_compensation(load_policy(), number, handling_task_id, task_id)


@step(name="record-grumble-fines")
def record_grumble_fines(number: str) -> bool:
    return variant_steps.record_grumble_fines(load_policy(), number)


@step(name="offer-customer-reassignment")
def offer_customer_reassignment(number: str) -> int:
    return variant_steps.request_customer_reassignment(load_policy(), number, current_run_id())


@step(name="apply-customer-reassignment")
def apply_customer_reassignment(number: str, task_id: int) -> None:
    variant_steps.apply_customer_reassignment(load_policy(), number, task_id)


@step("case-card", task_run=False)
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


async def decided(number: str, task_id: int) -> None:
    """Send what asking queued, and wait for the decision."""
    send_notifications(number)
    await await_decision(task_id, show=partial(publish, number))


async def major_complaint(number: str) -> None:
    """004 D5 §2.5 / 004 D15: a major complaint is warned about (预警报备) and calls an
    emergency meeting, each where the policy says so; a general one goes straight on."""
    if load_policy().complaint.major is None or not assess_major(number):
        return
    warning = ask_major_warning(number)
    if warning is not None:
        await decided(number, warning)
        send_major_warning(number, warning)
        send_notifications(number)
    meeting = call_emergency_meeting(number)
    if meeting is not None:
        await decided(number, meeting)
        record_emergency_meeting(number, meeting)


async def approve_compensation(number: str, handling_task_id: int) -> str:
    """004 D5 §2.9: the compensation a handling decision proposes is approved by whom the
    authority table names for its amount. Returns "handled" or "restart"."""
    task_id = ask_compensation(number, handling_task_id)
    await decided(number, task_id)
    return apply_compensation(number, handling_task_id, task_id)


async def grumble_consequences(number: str) -> None:
    """000 D5 §3.2: the grumble's fines; one not resolved in time offers its manager to hand
    the customer to another employee."""
    if load_policy().complaint.grumbles is None or not record_grumble_fines(number):
        return
    task_id = offer_customer_reassignment(number)
    await decided(number, task_id)
    apply_customer_reassignment(number, task_id)


async def handle(number: str) -> str:
    """The handling chain of the policy (one step in 000 D2; quality lead then manager in
    001 Doc13). Returns "handled", "triage" or "restart"."""
    steps = load_policy().complaint.handling_steps
    for index, chosen in enumerate(steps):
        task_id = ask_handling_decision(number, chosen.key)
        send_notifications(number)
        await await_decision(task_id, show=partial(publish, number))
        outcome = apply_handling_decision(number, task_id, index == len(steps) - 1)
        if outcome == "compensation":
            outcome = await approve_compensation(number, task_id)
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
        await major_complaint(number)
        if await handle(number) == "handled":
            return


# Steps retry a lost database connection on their own; as every step is idempotent, a run
# that still fails re-runs whole (its run count includes its resumes: early runs only).
@flow(name="complaint", flow_run_name="complaint {number}", persist_result=False, retries=3,
      retry_delay_seconds=2, on_running=[record_run_process])
async def complaint_flow(number: str) -> str:
    """One complaint from registration to archive (000 D2 §2–§4)."""
    with one_api_client():
        while True:
            await register_and_handle(number)
            await grumble_consequences(number)
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
