"""Wait for a human decision without holding a process: the one waiting mechanism.

The flow run suspends (``suspend_flow_run``): its process exits and the run shows as
Suspended on the dashboard with a decision form. When a decision arrives — from the CLI,
the inbox, or that Prefect UI form — it is recorded in kefu's database first, then the run is
resumed; Prefect re-runs the flow from the top, every earlier step finds its work done, and
this function returns the recorded decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prefect.flow_runs import asuspend_flow_run
from prefect.runtime import flow_run

from flows.steps import step
from models import ApprovalStatus, ApprovalTask
from models.db import session_scope
from policy.load import load_policy
from tasks import audit, events
from tasks.approvals import ApprovalError, decide, group, settled
from tasks.deadlines import now
from tasks.decision_form import FORM_FIELDS, DecisionInput, pause_key
from tasks.links import LinkRefused, use_form_code


@step("check-decision", task_run=False)
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


@step("take-form-input", task_run=False)
def take_form_input(task_id: int, form: dict | None) -> bool:
    """Record a decision typed into the Prefect UI form, through the same checks as every path.

    The person is the one whose one-time code the form carries (tasks/links.py), never a name
    typed into the form: an unauthenticated resume of the run records nothing, is audited, and
    the run waits again. Returns whether the task is now decided."""
    policy = load_policy()
    with session_scope() as session:
        approval = session.get(ApprovalTask, task_id)
        if settled(session, task_id):
            return True
        if form:
            _decide_from_form(session, policy, approval, form)
            if settled(session, task_id):
                return True
        approval.wakeups += 1
        return False


def _decide_from_form(session, policy, approval: ApprovalTask, form: dict) -> None:
    try:
        with session.begin_nested():
            person = use_form_code(session, approval.id, str(form.get("code") or ""))
    except LinkRefused as refused:
        audit.record(session, actor="anonymous", action="form_code", outcome="refused",
                     via="prefect-ui", task_id=approval.id, case_number=approval.case_number,
                     reason=f"{refused.kind}: {refused}")
        events.record(session, approval.process, approval.case_number, "decision_refused",
                      "anonymous", task_id=approval.id, reason=str(refused), via="prefect-ui")
        return
    try:
        with session.begin_nested():
            data = {k: form.get(k) for k in FORM_FIELDS if form.get(k)}
            decide(session, policy, approval.id, actor=person, decision=str(form.get("decision")),
                   comment=form.get("comment") or None, data=data, via="prefect-ui")
    except ApprovalError as refused:
        events.record(session, approval.process, approval.case_number, "decision_refused",
                      person, task_id=approval.id, reason=str(refused), via="prefect-ui")
        audit.record(session, actor=person, action="decide", outcome="refused",
                     via="prefect-ui", task_id=approval.id, case_number=approval.case_number,
                     reason=str(refused))


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
        from runtime.prefect_tuning import log_wait  # a wait is logged as one, not as an error

        log_wait(task_id)
        form = await asuspend_flow_run(
            wait_for_input=DecisionInput, key=pause_key(task_id, wakeups), timeout=None,
        )
        # Reached only on the re-run after a resume.
        if take_form_input(task_id, form.model_dump() if form is not None else None):
            check_decision(task_id)
            return


def current_run_id() -> str | None:
    return flow_run.get_id()
