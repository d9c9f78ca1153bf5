"""How every process's flow declares its steps, and the steps they all share.

A step is idempotent (it reads and writes our database, the source of truth), so it is never
cached: a run resumed after a human decision re-runs from the top and each step finds its
work done. A lost database connection is retried; with ``KEFU_FAULT_DIR`` set, every step
ends at a kill point (``runtime/faults.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import SyncClientContext

from runtime.faults import STEP_HOOKS
from runtime.settings import api_tls_context
from tasks.notify import dispatch_pending

step = task(cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=1,
            on_completion=STEP_HOOKS)


@contextmanager
def one_api_client() -> Iterator[None]:
    """Every step of the run shares one Prefect API client; each flow body runs inside this.

    Without it Prefect 3.8 opens a new sync client for each sync task run of an async flow,
    and each new client loads the CA bundle into a fresh SSL context: about 18 ms a step,
    measured with cProfile (0.59 s of the 0.82 s a 32-task bare flow spends); the one client
    here reuses the TLS context the worker's fork server built. No tags are set
    here on purpose: a task run with tags asks the server for tag concurrency slots, one more
    database write per step (the run itself carries the process tag)."""
    if SyncClientContext.get() is not None:
        yield
        return
    with SyncClientContext(httpx_settings={"verify": api_tls_context()}):
        yield


@step(name="send-notifications")
def send_notifications(number: str) -> dict[str, int]:
    """Send the case's queued messages now (the outbox retries what fails)."""
    return dispatch_pending(case_number=number)
