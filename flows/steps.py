"""How every process's flow declares its steps, and the steps they all share.

A step is idempotent (it reads and writes our database, the source of truth), so it is never
cached: a run resumed after a human decision re-runs from the top and each step finds its
work done. A failed step is tried twice more, a second apart (a lost database connection);
with ``KEFU_FAULT_DIR`` set, every step ends at a kill point (``runtime/faults.py``).

A step of the policy (classify, route, ask for a decision…) is a Prefect task run: the
dashboard shows it in the run's graph. The mechanics around the waits — sending what the
outbox holds, reading whether a decision came, rendering the case card — run inline
(``step(name, task_run=False)``), with the same retries and kill points: a task run cost the
Prefect server ~13.6 ms of CPU for its three state events (4.2 ms with the batched recorder of
``runtime/settings.TASK_RUN_RECORDER``) and the run's process a few more, and these were half
of the eight task runs of a complaint's first segment (issue 20 §5; measured with 200 no-op
task runs against none on one server).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import SyncClientContext

from runtime.faults import STEP_HOOKS, after_step
from runtime.settings import api_tls_context
from tasks.notify import dispatch_pending

RETRIES = 2
RETRY_DELAY_S = 1.0
log = logging.getLogger("kefu.steps")

_task_step = task(cache_policy=NO_CACHE, persist_result=False, retries=RETRIES,
                  retry_delay_seconds=RETRY_DELAY_S, on_completion=STEP_HOOKS)


def step(name: str, *, task_run: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a step: a Prefect task run named ``name``, or with ``task_run=False`` a call
    in the flow's own process (same retries, same kill point, nothing on the run's graph)."""
    if task_run:
        return _task_step(name=name)
    return functools.partial(_inline, name)


def _inline(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(RETRIES + 1):
            try:
                result = function(*args, **kwargs)
                break
            except Exception as exc:
                if attempt == RETRIES:
                    raise
                log.warning("%s failed (%s: %s); again in %.0f s", name,
                            type(exc).__name__, exc, RETRY_DELAY_S)
                time.sleep(RETRY_DELAY_S)
        after_step(name)
        return result

    run.fn = function  # type: ignore[attr-defined]  (as a Prefect task's: the bare function)
    return run


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


@step("send-notifications", task_run=False)
def send_notifications(number: str) -> dict[str, int]:
    """Send the case's queued messages now (the outbox retries what fails)."""
    return dispatch_pending(case_number=number)
