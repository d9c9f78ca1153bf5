"""客户等级评定 (000 D7 §5.1) as a flow: one run per year, scheduled in prefect.yaml.

open the assessment with proposed grades → each section chief pre-grades their territory
(in parallel, with a due date and escalation) → 促销科 convenes the department heads'
meeting with the whole table → the meeting's decision fixes the grades → publish: the
grade history, an Excel table, an artifact, mail to sales.
"""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.runtime import flow_run

from flows.await_decision import await_decision, current_run_id
from flows.steps import one_api_client, send_notifications, step
from models.db import session_scope
from policy.load import load_policy
from runtime.leases import record_run_process
from tasks import markdown
from tasks.tier import case, grades


def run_name() -> str:
    year = flow_run.get_parameters().get("year") or case.assessment_year(load_policy())
    return f"tier assessment {year}"


@step(name="open-assessment")
def open_assessment(year: int | None) -> str:
    return case.open_assessment(load_policy(), year, current_run_id())


@step(name="ask-pregrades")
def ask_pregrades(number: str) -> list[int]:
    return case.request_pregrades(load_policy(), number, current_run_id())


@step(name="ask-meeting")
def ask_meeting(number: str) -> int:
    return case.request_meeting(load_policy(), number, current_run_id())


@step(name="publish-results")
def publish_results(number: str, meeting_task_id: int) -> dict:
    return case.publish_results(load_policy(), number, meeting_task_id)


async def show_table(number: str, results: dict | None = None) -> None:
    """The assessment's table on the dashboard; the final grades as a table artifact."""
    key = f"tier-assessment-{number.lower()}"
    await acreate_markdown_artifact(key=key, markdown=case.table_markdown(number),
                                    description=f"客户等级评定 {number}")
    if results:
        await acreate_table_artifact(
            key=f"{key}-results", description=f"客户等级评定结果 {number}",
            table=markdown.table([{"customer": name, **{k: r[k] for k in (
                "previous", "proposed", "grade", "source", "by", "reason")}}
                for name, r in sorted(results.items())]))


@flow(name="tier-assessment", flow_run_name=run_name, persist_result=False, on_running=[record_run_process])
async def tier_assessment(year: int | None = None) -> str:
    """The yearly 客户等级评定 (000 D7 §5.1.1: every March, 25–30)."""
    with one_api_client():
        number = open_assessment(year)
        pregrades = ask_pregrades(number)
        send_notifications(number)
        await show_table(number)
        for task_id in pregrades:  # all asked at once; the run wakes for each answer
            await await_decision(task_id)
        meeting = ask_meeting(number)
        send_notifications(number)
        await show_table(number)
        await await_decision(meeting)
        results = publish_results(number, meeting)
        send_notifications(number)
        await show_table(number, results)
        return "published"


# --- Between meetings: A applications, order exceptions, temporary-grade reviews ---------------

@step(name="ask-decision")
def ask_case_step(number: str, index: int) -> int:
    return grades.request_case_step(load_policy(), number, index, current_run_id())


@step(name="apply-decision")
def apply_case_step(number: str, task_id: int, last: bool) -> str:
    return grades.apply_case_step(load_policy(), number, task_id, last)


@flow(name="tier-case", flow_run_name="tier case {number}", persist_result=False, on_running=[record_run_process])
async def tier_case(number: str) -> str:
    """One A application (section chief → 销售部长 → GM, 000 D7 §6.2 B), order exception
    (销售部长 or higher, §6.2 C) or temporary-grade review (§5.1.2 D): each person of the
    chain decides in turn; a rejection ends it."""
    with one_api_client():
        with session_scope() as session:
            kind = grades._case(session, number).kind
        chain = grades.chain_for(load_policy(), kind)
        outcome = "open"
        for index in range(len(chain)):
            task_id = ask_case_step(number, index)
            send_notifications(number)
            await await_decision(task_id)
            outcome = apply_case_step(number, task_id, index == len(chain) - 1)
            if outcome != "next":
                break
        send_notifications(number)
        return outcome


@step(name="open-due-reviews")
def open_due_reviews() -> list[str]:
    return grades.open_due_reviews(load_policy())


@flow(name="tier-reviews", persist_result=False, on_running=[record_run_process])
def tier_reviews() -> list[str]:
    """Daily: open the reviews of temporary grades whose six months are up (§5.1.2 D).
    Synchronous: starting runs is a blocking client call (and a daily run can spare the
    heartbeat's second)."""
    numbers = open_due_reviews()
    for number in numbers:
        grades.start_run("tier-case/tier-case", {"number": number}, f"tier case {number}", number)
    return numbers
