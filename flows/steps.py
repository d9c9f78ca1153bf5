"""How every process's flow declares its steps, and the steps they all share.

A step is idempotent (it reads and writes our database, the source of truth), so it is never
cached: a run resumed after a human decision re-runs from the top and each step finds its
work done. A lost database connection is retried; with ``KEFU_FAULT_DIR`` set, every step
ends at a kill point (``runtime/faults.py``).
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from runtime.faults import STEP_HOOKS
from tasks.notify import dispatch_pending

step = task(cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=1,
            on_completion=STEP_HOOKS)


@step(name="send-notifications")
def send_notifications(number: str) -> dict[str, int]:
    """Send the case's queued messages now (the outbox retries what fails)."""
    return dispatch_pending(case_number=number)
