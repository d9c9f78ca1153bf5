"""Flow runs of cases: start one per complaint, wake it when a decision arrives, and
reconcile after an outage. Our database is the source of truth; Prefect is told afterwards,
so nothing is lost when Prefect is unreachable at the moment of a filing or a decision."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from uuid import UUID

from sqlalchemy import select, update

from models import ApprovalStatus, ApprovalTask, Complaint
from models.db import session_scope
from runtime.polling import until
from runtime.settings import configure
from tasks.deadlines import now

# Prefect's settings before any Prefect import; Prefect itself is imported where it is used, so
# a command that only files a case (start_case_run: plain HTTP) does not pay for it.
configure()

log = logging.getLogger("kefu.runs")
COMPLAINT_DEPLOYMENT = "complaint/complaint"


class PrefectUnavailable(RuntimeError):
    """The Prefect server did not answer; the change is stored and will be applied later."""


def wait_for_deployment(name: str = COMPLAINT_DEPLOYMENT, timeout: float = 90.0) -> None:
    """Block until the worker has registered ``name`` with the server."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    async def registered() -> bool:
        async with get_client() as client:
            try:
                await client.read_deployment_by_name(name)
                return True
            except ObjectNotFound:
                return False

    until(lambda: asyncio.run(registered()), timeout=timeout, every=0.5,
          failure=lambda waited: PrefectUnavailable(
              f"deployment {name!r} not registered after {waited:.0f} s"))


def start_case_run(deployment: str, parameters: dict, name: str, idempotency_key: str,
                   tags: list[str] | None = None) -> str:
    """Create the flow run of one case (or one yearly proposal) of ``deployment``, named after
    it, and return its id. Every process starts its runs here.

    The CLI and the worker's reconciler may both try: ``idempotency_key`` (the case's uid —
    numbers repeat in another database on the same server) makes the server keep one run per
    case. Prefect not answering, or the deployment not registered, raises
    :class:`PrefectUnavailable`; the case stays stored and the reconciler starts it later.

    Prefect's REST API directly (runtime/prefect_http.py), as ``run_deployment`` would call
    it: a one-off command files a case in a fraction of the time importing Prefect takes."""
    import httpx

    from runtime.prefect_http import call, prefect_http

    flow_name, _, deployment_name = deployment.partition("/")
    try:
        with prefect_http() as http:
            found = call(http, "GET", f"/deployments/name/{flow_name}/{deployment_name}")
            if found.status_code == 404:
                raise PrefectUnavailable(
                    f"deployment {deployment!r} is not registered: start `kefu worker`")
            found.raise_for_status()
            created = call(http, "POST", f"/deployments/{found.json()['id']}/create_flow_run",
                           json={"name": name, "parameters": parameters, "tags": tags or [],
                                 "idempotency_key": idempotency_key})
            created.raise_for_status()
    except httpx.HTTPStatusError as exc:  # e.g. 401: the credentials (KEFU_PREFECT_AUTH)
        raise PrefectUnavailable(f"Prefect server answered {exc.response.status_code}") from exc
    except httpx.HTTPError as exc:  # server down or not answering
        raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc
    return str(created.json()["id"])


def start_complaint_run(number: str) -> str:
    """Create the complaint's flow run (named after the case) and remember its id."""
    with session_scope() as session:
        uid = session.scalar(select(Complaint.uid).where(Complaint.number == number))
    run_id = start_case_run(COMPLAINT_DEPLOYMENT, {"number": number}, f"complaint {number}",
                            f"complaint:{uid}", tags=["process:complaint"])
    with session_scope() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.number == number))
        complaint.flow_run_id = run_id
    return run_id


def start_complaint_runs(numbers: list[str], concurrency: int = 4) -> dict[str, str]:
    """:func:`start_complaint_run` for a batch over one connection, a few at a time (the
    batch intake): {number: flow run id}. Same names, tags and idempotency keys."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with session_scope() as session:
        uids = dict(session.execute(select(Complaint.number, Complaint.uid)
                                    .where(Complaint.number.in_(numbers))).all())

    async def start() -> dict[str, str]:
        async with get_client() as client:
            deployment = await client.read_deployment_by_name(COMPLAINT_DEPLOYMENT)
            gate = asyncio.Semaphore(concurrency)

            async def one(number: str) -> tuple[str, str]:
                async with gate:
                    run = await client.create_flow_run_from_deployment(
                        deployment.id, parameters={"number": number},
                        name=f"complaint {number}", tags=["process:complaint"],
                        idempotency_key=f"complaint:{uids[number]}")
                    return number, str(run.id)

            return dict(await asyncio.gather(*(one(n) for n in numbers)))

    try:
        runs = asyncio.run(start())
    except ObjectNotFound:
        raise PrefectUnavailable(
            f"deployment {COMPLAINT_DEPLOYMENT!r} is not registered: start `kefu worker`"
        ) from None
    except Exception as exc:  # httpx errors, server down: the reconciler starts them later
        raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc
    with session_scope() as session:
        for number, run_id in runs.items():
            session.execute(update(Complaint).where(Complaint.number == number)
                            .values(flow_run_id=run_id))
    return runs


def wake_task(task_id: int, patience: float = 5.0) -> str:
    """Resume the flow run waiting on a decided task.

    Only a run paused on *this* task's key is resumed. A run still on its way to suspending
    (it looked just before the decision was written) is retried for ``patience`` seconds;
    after that the task stays un-woken and :func:`reconcile` tries again later.
    """
    from tasks.approvals import lead_of
    from tasks.approvals import outcome as step_outcome
    from tasks.decision_form import FORM_FIELDS

    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if task.status != ApprovalStatus.DECIDED or task.woken_at is not None:
            return "nothing to wake"
        decided = step_outcome(session, task_id)
        if decided is None:  # 会签 / 依次: others still sign; their decision wakes the run
            task.woken_at = now()
            return "step not settled yet"
        lead = lead_of(session, task)
        if not lead.flow_run_id:
            return "no flow run yet"
        run_id, lead_id = UUID(lead.flow_run_id), lead.id
        # The decision is recorded already: the input only wakes the run (no code, so it is
        # never read as a decision; see tasks/decision_form.py).
        run_input = {"decision": decided.decision, "comment": (decided.comment or "")[:2000],
                     **{k: v for k, v in decided.decision_data.items() if k in FORM_FIELDS}}
    deadline = time.monotonic() + patience
    while True:
        try:
            outcome = asyncio.run(_resume_if_waiting_on(run_id, lead_id, run_input))
        except Exception as exc:
            raise PrefectUnavailable(f"Prefect server unreachable ({type(exc).__name__})") from exc
        if outcome != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if outcome.startswith("refused"):  # stays un-woken: reconcile tries again, the log says why
        log.warning("task %s: %s", task_id, outcome)
        return outcome
    if outcome == "running":
        return outcome
    with session_scope() as session:
        task = session.get(ApprovalTask, task_id)
        if outcome == "waiting on another step" and task.woken_at is not None:
            # The worker's reconciler (or the run itself, re-running past this step) woke it
            # between our read of the task and our read of the run: the run went on already.
            return "resumed already"
        task.woken_at = now()
    return outcome


async def _resume_if_waiting_on(run_id: UUID, task_id: int, run_input: dict) -> str:
    from prefect import get_client
    from prefect.flow_runs import NotPausedError

    from tasks.decision_form import pause_key_prefix

    async with get_client() as client:
        run = await client.read_flow_run(run_id)
        state = run.state
        if state is None or state.type.value in {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}:
            return "finished"
        if state.type.value != "PAUSED":
            return "running"
        key = state.state_details.pause_key or ""
        if not key.startswith(pause_key_prefix(task_id)):
            return "waiting on another step"
        try:
            result = await _resume(client, run_id, run_input)
            if _refusal(result) == FORM_MISSING and await _restore_form(run_id, state):
                result = await _resume(client, run_id, run_input)
        except NotPausedError:
            return "running"
        if result.status.value != "ACCEPT":
            reason = _refusal(result)
            if "not paused" in reason:  # another waker got there first, or it is still suspending
                return "running"
            return f"refused by Prefect: {reason}"  # e.g. the input does not match the form
        return "resumed"


# Prefect marks a run Suspended first and stores its input form (the schema the resume is
# checked against) in a second request. When that request is lost — the server's SQLite held
# it past the client's 60 s, or the run's process died in between — the run stays Suspended
# with no form, and Prefect refuses every resume with this reason: the case would never go on.
FORM_MISSING = "Run input schema not found."


def _refusal(result) -> str:
    return getattr(result.details, "reason", None) or result.status.value


async def _restore_form(run_id: UUID, state) -> bool:
    """Store the decision form the suspended run would have stored — the same
    ``DecisionInput`` schema under the keys its Suspended state names — so the resume that was
    refused can go through. False when the state names no keys (not a kefu wait)."""
    import httpx

    from tasks.decision_form import DecisionInput

    keyset = state.state_details.run_input_keyset
    if not keyset or "schema" not in keyset:
        return False
    try:
        await DecisionInput.asave(keyset, flow_run_id=run_id)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code != 409:  # 409: it arrived after all, in the meantime
            raise
        return True
    log.warning("flow run %s: Prefect had lost its decision form; restored it", run_id)
    return True


async def _resume(client, run_id: UUID, run_input: dict, patience: float = 2.0):
    """``resume_flow_run``, tried again after 50 ms while the server's SQLite is busy.

    Prefect's resume endpoint reads the run and then writes it in one deferred transaction, so
    on SQLite it answers 503 ("database is locked") when another write lands in between.
    Prefect's client then sleeps 2 s before trying again (and sleeps it once even with its
    retries turned off): that sleep was the slow tail of "decided → running again". So the
    first ``patience`` seconds are tried here with a plain HTTP client (the Prefect client's
    URL, credentials and TLS settings: runtime/prefect_http.py); after that Prefect's client
    and its longer back-off take over."""
    import httpx
    from prefect.client.schemas import OrchestrationResult

    from runtime.prefect_http import prefect_headers
    from runtime.settings import api_tls_context

    deadline = time.monotonic() + patience
    async with httpx.AsyncClient(base_url=str(client.api_url), headers=prefect_headers(),
                                 verify=api_tls_context(), timeout=30) as http:
        while time.monotonic() < deadline:
            response = await http.post(f"/flow_runs/{run_id}/resume", json={"run_input": run_input})
            if response.status_code != 503:
                response.raise_for_status()
                return OrchestrationResult.model_validate(response.json())
            await asyncio.sleep(0.05)
    return await client.resume_flow_run(run_id, run_input=run_input)


# Deployments whose runs carry a case: every step of them is idempotent, so a run whose
# process died is rescheduled and picks up where it stopped.
CASE_DEPLOYMENTS = ("complaint", "new-customer", "new-customer-reward", "tier-assessment",
                    "tier-case", "visit-plan", "site-visit")


async def _runs_in(client, states: list, deployments: tuple[str, ...]) -> list:
    """Up to 200 runs of ``deployments`` in ``states``, newest first."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    return await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=states))),
        deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=list(deployments))),
        sort=FlowRunSort.ID_DESC, limit=200)


async def _reschedule(client, runs: list, why: str) -> list[str]:
    """Reschedule ``runs`` — each only if its state is still the one judged (another worker, or
    its own process, may have moved it on since it was read)."""
    from prefect.states import Scheduled

    names = []
    for run in runs:
        current = await client.read_flow_run(run.id)
        if current.state is None or current.state.id != run.state.id:
            continue
        await client.set_flow_run_state(run.id, Scheduled(message=f"rescheduled: {why}"),
                                        force=True)
        names.append(run.name)
    return names


def orphan_grace() -> float:
    """Seconds after which a Pending run with no process, or a Running one whose worker on
    another machine lapsed, counts as orphaned (``KEFU_ORPHAN_GRACE``, default 30): a live
    runner turns Pending into Running within a second or two."""
    return float(os.environ.get("KEFU_ORPHAN_GRACE") or 30)


def restart_dead_runs(holder: str, alone: bool = False, grace: float | None = None,
                      deployments: tuple[str, ...] = CASE_DEPLOYMENTS) -> list[str]:
    """Reschedule the case runs left without a process (runtime/leases.orphaned): Crashed
    ones, Running ones whose recorded process is gone, and Pending ones nobody started
    (at once when ``alone``: the worker starting with no other alive; else after the grace).
    Called by the one worker holding the ``reconcile`` lease, so the runs of a worker killed
    with kill -9 go on elsewhere, and a live worker's runs are never touched."""
    from datetime import UTC, datetime

    from prefect import get_client
    from prefect.client.schemas.objects import StateType

    from runtime import leases

    grace = orphan_grace() if grace is None else grace
    live = {holder, *leases.other_live_workers(holder)}

    async def restart() -> list[str]:
        names: list[str] = []
        async with get_client() as client:
            runs = await _runs_in(
                client, [StateType.CRASHED, StateType.RUNNING, StateType.PENDING], deployments)
            known = leases.run_processes([str(run.id) for run in runs])
            at = datetime.now(UTC)
            dead = [run for run in runs if leases.orphaned(
                run.state.type.value, str(run.state.id),
                (at - run.state.timestamp).total_seconds(), known.get(str(run.id)),
                alone=alone, grace=grace, worker_alive=live.__contains__)]
            names += await _reschedule(client, dead, "its flow-run process died")
        return names

    return asyncio.run(restart())
