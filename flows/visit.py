"""客户拜访管理办法 (004) and 客户参观接待管理制度 (002 第二条) as flows.

Monthly (prefect.yaml's cron): open next month's 拜访计划书 for every salesperson, one run each:
hand in the plan by month end → the superior approves (or sends it back) → each visit's report
within 2 days of its day (missing ones escalated by the shared sweep) → closed.
A customer's site visit: one run per request: the kind's approver confirms it before its
notice runs out (3 days / 1 day / 1 hour) → the requester is told.
"""

from __future__ import annotations

import contextlib
from functools import partial

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from policy.load import load_policy
from runtime.leases import record_run_process
from tasks.visit import case


@step(name="ask-plan")
def ask_plan(number: str, round: int) -> int:
    return case.request_plan(load_policy(), number, round, current_run_id())


@step(name="ask-plan-review")
def ask_review(number: str, round: int) -> int:
    return case.request_review(load_policy(), number, round, current_run_id())


@step(name="apply-plan-review")
def apply_review(number: str, task_id: int) -> str:
    return case.apply_review(load_policy(), number, task_id)


@step(name="ask-reports")
def ask_reports(number: str) -> list[int]:
    return case.request_reports(load_policy(), number, current_run_id())


@step(name="apply-report")
def apply_report(number: str, task_id: int) -> None:
    case.apply_report(number, task_id)


@step(name="close-plan")
def close_plan(number: str) -> str:
    return case.close_plan(number)


async def publish(number: str) -> None:
    """The plan's or request's card on the dashboard, published when the run parks."""
    from tasks.visit.card import card_markdown

    await acreate_markdown_artifact(key=f"visit-{number.lower()}", markdown=card_markdown(number),
                                    description=f"客户拜访 {number}")


async def wait_for(number: str, task_id: int) -> None:
    send_notifications(number)
    await await_decision(task_id, show=partial(publish, number))


@flow(name="visit-plan", flow_run_name="visit plan {number}", persist_result=False, on_running=[record_run_process])
async def visit_plan_flow(number: str) -> str:
    """One salesperson's month (004 3.1–3.4)."""
    with one_api_client():
        round = 1
        while True:
            await wait_for(number, ask_plan(number, round))
            review = ask_review(number, round)
            await wait_for(number, review)
            if apply_review(number, review) == "approved":
                break
            round += 1
        send_notifications(number)
        reports = ask_reports(number)
        for task_id in reports:  # each opens on its visit's day; the sweep escalates late ones
            await wait_for(number, task_id)
            apply_report(number, task_id)
        status = close_plan(number)
        send_notifications(number)
        await publish(number)
        return status


@step(name="open-plans")
def open_plans(month: str | None) -> list[str]:
    return case.open_plans(load_policy(), month)


@flow(name="visit-plans", persist_result=False, on_running=[record_run_process])
def visit_plans(month: str | None = None) -> list[str]:
    """Monthly: ask every salesperson for next month's plan (004 3.1 每月底提出下月客户拜访计划书)
    and start each plan's run. Synchronous: starting runs is a blocking client call."""
    from runtime.runs import PrefectUnavailable
    from runtime.visit_runs import start_plan_run

    numbers = open_plans(month)
    for number in numbers:
        with contextlib.suppress(PrefectUnavailable):  # stored; the reconciler starts it
            start_plan_run(number)
    return numbers


@step(name="ask-site-approval")
def ask_site_approval(number: str) -> int:
    return case.ask_site_approval(load_policy(), number, current_run_id())


@step(name="apply-site-decision")
def apply_site_decision(number: str, task_id: int) -> str:
    return case.apply_site_decision(load_policy(), number, task_id)


@flow(name="site-visit", flow_run_name="site visit {number}", persist_result=False, on_running=[record_run_process])
async def site_visit_flow(number: str) -> str:
    """A customer's site visit (002 第二条): confirmed by the kind's approver in time."""
    with one_api_client():
        task_id = ask_site_approval(number)
        await wait_for(number, task_id)
        status = apply_site_decision(number, task_id)
        send_notifications(number)
        return status
