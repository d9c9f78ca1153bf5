"""The escalation sweep as a scheduled flow (every 15 minutes by default, see prefect.yaml)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact

from policy.load import load_policy
from runtime.leases import record_run_process
from runtime.reconcile import reconcile
from tasks import markdown
from tasks.escalation import sweep
from tasks.notify import dispatch_pending


@flow(name="escalation-sweep", persist_result=False, on_running=[record_run_process])
async def escalation_sweep() -> dict:
    """Escalate overdue clocks, retry unsent messages, and apply decisions Prefect missed."""
    logger = get_run_logger()
    escalated = sweep(load_policy())
    sent = dispatch_pending()
    reconciled = reconcile()
    logger.info("escalated %d rung(s); sent %s; reconciled %s", len(escalated), sent, reconciled)
    if escalated:
        await acreate_table_artifact(key="escalations", table=markdown.table(escalated),
                                     description="Escalations sent by this sweep")
    return {"escalated": escalated, "sent": sent, "reconciled": reconciled}
