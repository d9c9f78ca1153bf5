"""Two costs Prefect 3.8 puts on every segment of a kefu flow run, removed in the worker's fork
server (``runtime/warm.py``) so every run it forks inherits the change.

Measured with cProfile over the whole process of four complaint-run segments (the flow-run
processes the worker forks; bench/flow_overhead's complaint, 2-core machine):

1. **A watcher for suspensions requested from outside.** A deployment's run starts a thread that
   subscribes to the event stream in case someone else suspends the run; the run waits until it
   is subscribed (~150 ms) and, when it ends, until the thread notices (it looks every 0.2 s):
   ~0.3 s of each segment's ~0.6 s of flow code. A kefu run suspends only itself
   (``flows/await_decision.py``), which Prefect handles in the process
   (``mark_flow_run_suspension_requested``), and a segment lasts about a second; cancelling a
   run is watched separately and stays as it is.
2. **A new TLS context for every API client** (``ssl.create_default_context(cafile=certifi)``,
   ~20–40 ms each, even for the plain-HTTP local server), and Prefect opens several clients per
   segment outside our steps (result storage, suspension, artifacts). Every client now gets the
   process's one context (``runtime.settings.api_tls_context``: same rules as Prefect's).

Each change checks that Prefect still has what it replaces and otherwise leaves Prefect as it is
(and says so in the worker log).

And one line of Prefect's log: a run that suspends to wait for a person ends its segment with
``Finished in state Suspended(type=PAUSED)``, which Prefect 3.8's async engine logs at ERROR (any
state but Completed). Waiting is how every kefu case spends its life, so that record is logged
at INFO (:func:`quiet_suspensions`, installed by ``flows/__init__.py`` in every process that runs
flows), beside kefu's own line saying whom the run waits for (:func:`log_wait`); a Failed or
Crashed run still logs ERROR.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("kefu.worker")


@contextmanager
def _no_outside_suspension_watch(*_args: Any, **_kwargs: Any) -> Iterator[None]:
    yield


def skip_outside_suspension_watch() -> bool:
    import prefect.flow_engine

    if not hasattr(prefect.flow_engine, "observe_flow_run_suspension"):
        log.warning("Prefect no longer watches for outside suspensions this way: left as is")
        return False
    prefect.flow_engine.observe_flow_run_suspension = _no_outside_suspension_watch
    return True


def share_api_tls_context() -> bool:
    from prefect.client import orchestration

    from runtime.settings import api_tls_context

    for client_class in (orchestration.PrefectClient, orchestration.SyncPrefectClient):
        original = client_class.__init__
        if getattr(original, "_kefu_shared_tls", False):
            continue

        @functools.wraps(original)
        def __init__(self, api, *args, httpx_settings=None, _original=original, **kwargs):  # noqa: ANN001, N807
            settings = dict(httpx_settings or {})
            settings.setdefault("verify", api_tls_context())
            _original(self, api, *args, httpx_settings=settings, **kwargs)

        __init__._kefu_shared_tls = True  # type: ignore[attr-defined]
        client_class.__init__ = __init__  # type: ignore[method-assign]
    return True


# Prefect's str(state) (repr in debug mode): Suspended(type=PAUSED), Paused(), Suspended("…", …).
_WAITING = re.compile(r"^Finished in state (?:Suspended|Paused)\(")
RUN_LOGGER = "prefect.flow_runs"


class SuspensionIsNotAnError(logging.Filter):
    """Log Prefect's "Finished in state Suspended/Paused" at INFO instead of ERROR, before any
    handler (the console of the worker log, the API of the run's logs) sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO and _WAITING.match(record.getMessage()):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


def quiet_suspensions() -> None:
    """Install the filter on Prefect's flow-run logger, once per process (a logger's filters
    survive Prefect's logging setup; a forked run inherits them)."""
    logger = logging.getLogger(RUN_LOGGER)
    if not any(isinstance(f, SuspensionIsNotAnError) for f in logger.filters):
        logger.addFilter(SuspensionIsNotAnError())


def log_wait(task_id: int) -> None:
    """One INFO line in the run's log as it suspends: whom it waits for, on what, until when —
    "waiting for chen.qe: 投诉处理, due 2026-12-07 18:00" (the signers who may sign now, for a
    step with several)."""
    from prefect import get_run_logger

    from models import ApprovalTask
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.approvals import group, is_active
    from tasks.deadlines import local_time
    from tasks.text import one_line

    try:
        zone = load_policy().calendar.timezone
        with session_scope() as session:
            task = session.get(ApprovalTask, task_id)
            waiting = [t.assignee_key for t in group(session, task) if is_active(session, t)]
            line = (f"waiting for {', '.join(waiting or [task.assignee_key])}: {one_line(task.label)}, "
                    f"due {local_time(task.due_at, zone)}")
    except Exception as exc:  # a log line must never keep the run from suspending
        line = f"waiting for approval task {task_id} ({exc.__class__.__name__}: {exc})"
    get_run_logger().info(line)


def apply() -> None:
    skip_outside_suspension_watch()
    share_api_tls_context()
