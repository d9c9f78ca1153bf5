"""Wait for a human decision without holding a process: the one waiting mechanism.

The flow run suspends (``suspend_flow_run``): its process exits and the run shows as
Suspended on the dashboard with a decision form. When a decision arrives — from the CLI,
the inbox, or that Prefect UI form — it is recorded in kefu's database first, then the run is
resumed; Prefect re-runs the flow from the top, every earlier step finds its work done, and
this function returns the recorded decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import asuspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run

from models import ApprovalStatus, ApprovalTask
from models.db import session_scope
from policy.load import load_policy
from runtime.faults import STEP_HOOKS
from runtime.runs import pause_key
from tasks import audit, events
from tasks.approvals import ApprovalError, decide, group, settled
from tasks.deadlines import now


class DecisionInput(RunInput):
    """The decision form shown on a suspended run in the Prefect UI."""

    decided_by: str
    decision: Literal["approve", "reject", "send_back"]
    comment: str = ""
    category: str | None = None
    person: str | None = None
    outcome: str | None = None


@task(name="check-decision", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=1, on_completion=STEP_HOOKS)
def check_decision(task_id: int) -> tuple[bool, int]:
    """(decided?, wakeups). The step is decided when its signers settled it (one decision,
    or 会签/依次 all signed); its decided tasks are marked consumed so nobody wakes the run."""
    with session_scope() as session:
        approval = session.get(ApprovalTask, task_id)
        decided = settled(session, task_id)
        if decided:
            for signer in group(session, approval):
                if signer.status == ApprovalStatus.DECIDED and signer.woken_at is None:
                    signer.woken_at = now()
        return decided, approval.wakeups


@task(name="take-form-input", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=1, on_completion=STEP_HOOKS)
def take_form_input(task_id: int, form: dict | None) -> bool:
    """Record a decision typed into the Prefect UI form, through the same checks as the CLI.
    Returns whether the task is now decided; otherwise the run waits again."""
    policy = load_policy()
    with session_scope() as session:
        approval = session.get(ApprovalTask, task_id)
        if settled(session, task_id):
            return True
        if form:
            try:
                with session.begin_nested():
                    data = {k: form.get(k) for k in ("category", "person", "outcome") if form.get(k)}
                    decide(session, policy, task_id, actor=form["decided_by"],
                           decision=form["decision"], comment=form.get("comment") or None,
                           data=data, via="prefect-ui")
                if settled(session, task_id):
                    return True
            except ApprovalError as refused:
                events.record(session, approval.process, approval.case_number,
                              "decision_refused", str(form.get("decided_by")),
                              task_id=task_id, reason=str(refused), via="prefect-ui")
                audit.record(session, actor=str(form.get("decided_by")), action="decide",
                             outcome="refused", via="prefect-ui", task_id=task_id,
                             case_number=approval.case_number, reason=str(refused))
        approval.wakeups += 1
        return False


async def await_decision(task_id: int, show: Callable[[], Awaitable[None]] | None = None) -> None:
    """Return once approval task ``task_id`` is decided, suspending the run until then.

    ``show`` publishes the case card: it is called right before the run parks, so the
    dashboard shows the case as it waits, and a run that finds its decision already taken
    (or re-runs past an earlier wait after a resume) publishes no card nobody looks at."""
    while True:
        decided, wakeups = check_decision(task_id)
        if decided:
            return
        if show is not None:
            await show()
        form = await asuspend_flow_run(
            wait_for_input=DecisionInput, key=pause_key(task_id, wakeups), timeout=None,
        )
        # Reached only on the re-run after a resume.
        if take_form_input(task_id, form.model_dump() if form is not None else None):
            check_decision(task_id)
            return


def current_run_id() -> str | None:
    return flow_run.get_id()
