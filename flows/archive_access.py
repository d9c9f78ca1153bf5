"""客户档案借阅与销毁 as a flow: one run per request.

借阅: request → the department manager (own department) or the general manager (another
department's, or 绝密) approves → lent for 3 days (004 第19条) → returned; a loan not back is
escalated by the shared sweep from the day after it ends (day 4).
销毁: request → 客户信息主管 → 客户服务部经理 → 总经理 (001 §6.10), each must approve.
"""

from __future__ import annotations

from prefect import flow

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from policy.load import load_policy
from runtime.leases import record_run_process
from tasks.archives import case

DESTRUCTION_APPROVALS = 3  # 001 §6.10: 客户信息主管、客户服务部经理、总经理分别核准


@step(name="ask-borrow-approval")
def ask_approval(number: str) -> int:
    return case.request_borrow_approval(load_policy(), number, current_run_id())


@step(name="apply-borrow-decision")
def apply_approval(number: str, task_id: int) -> str:
    return case.apply_borrow_decision(load_policy(), number, task_id)


@step(name="ask-return")
def ask_return(number: str) -> int:
    return case.ask_return(load_policy(), number, current_run_id())


@step(name="close-loan")
def close_loan(number: str) -> str:
    return case.close_loan(number)


@step(name="ask-destruction-approval")
def ask_destruction(number: str, index: int) -> int:
    return case.request_destruction_step(load_policy(), number, index, current_run_id())


@step(name="apply-destruction-decision")
def apply_destruction(number: str, index: int, task_id: int) -> str:
    return case.apply_destruction_step(load_policy(), number, index, task_id)


async def wait_for(number: str, task_id: int) -> None:
    send_notifications(number)
    await await_decision(task_id)


async def destroy(number: str) -> str:
    for index in range(DESTRUCTION_APPROVALS):
        task_id = ask_destruction(number, index)
        await wait_for(number, task_id)
        result = apply_destruction(number, index, task_id)
        if result != "next":
            send_notifications(number)
            return result
    return "destroyed"


@flow(name="archives", flow_run_name="archive {number}", persist_result=False, on_running=[record_run_process])
async def archive_request_flow(number: str) -> str:
    """One 借阅 or 销毁 request of an archived record, to its end."""
    with one_api_client():
        if case.kind_of(number) == "destroy":
            return await destroy(number)
        task_id = ask_approval(number)
        await wait_for(number, task_id)
        if apply_approval(number, task_id) == "refused":
            send_notifications(number)
            return "refused"
        await wait_for(number, ask_return(number))
        return close_loan(number)
