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
"""

from __future__ import annotations

import functools
import logging
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


def apply() -> None:
    skip_outside_suspension_watch()
    share_api_tls_context()
