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

3. **Questions whose answer does not change while the worker runs**, asked again by every
   segment: the server's version (the events client checks it for each run: a request, and a
   fresh TLS context, ~27 ms of the worker's CPU per segment) and the server's default result
   storage (read twice per segment, although no kefu flow persists a result). The fork server
   asks each once (:func:`ask_once_per_worker`); every run it forks inherits the answer.
   Measured by py-spy over a burst of 60 complaints (issue 20 §5): 8 % of the worker's CPU,
   and 4 of the ~25 requests a complaint's first segment makes to the server.

4. **Prefect's settings, built twice per segment** (~19 ms of CPU each: pydantic-settings reads
   and validates ~50 nested models from the environment and the profile): once from the
   environment the runner hands the run, once from the runner's settings serialized into the
   run's context — the same values. The fork server builds them once, from the environment
   every run it forks will have (:func:`build_settings_once`), and a run whose environment and
   setting files are the same takes them (any difference: built again, as Prefect does); the
   runner leaves its settings out of the run's context, so the run keeps the ones from its
   environment (:func:`runs_take_settings_from_their_environment`).

5. **The runner's poll for runs to start** (twice a second) asks for every scheduled run of its
   deployments, and the server answers up to 200 of them, each validated on both sides: while a
   burst queues, that is most of a poll's cost and grows with the queue. The runner can start at
   most as many runs as it has free slots, and the runs it is already starting still show as
   Scheduled, so it asks for twice its slots (:func:`poll_for_at_most`), oldest first as
   before.

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
from collections.abc import Callable, Iterator
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


def ask_once_per_worker() -> bool:
    """Check the server's version and read its default result storage here, once: Prefect
    caches a passed version check per process, and the storage answer is kept (a failed read
    is not kept and is asked again by the next run)."""
    import asyncio

    from prefect import results
    from prefect._internal import version_checking
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    if not (hasattr(results, "_read_server_default_result_storage_block_id")
            and hasattr(results, "_aread_server_default_result_storage_block_id")
            and hasattr(version_checking, "check_server_version")):
        log.warning("Prefect no longer asks the server this way: left as is")
        return False
    kept: list = []

    def block_id():  # noqa: ANN202
        if not kept:
            try:
                kept.append(get_client(sync_client=True).read_server_default_result_storage()
                            .default_result_storage_block_id)
            except Exception:  # Prefect's own fallback: local storage, asked again next time
                return None
        return kept[0]

    async def ablock_id():  # noqa: ANN202  (as block_id, without blocking the run's loop)
        if not kept:
            try:
                kept.append((await get_client().read_server_default_result_storage())
                            .default_result_storage_block_id)
            except Exception:
                return None
        return kept[0]

    results._read_server_default_result_storage_block_id = block_id
    results._aread_server_default_result_storage_block_id = ablock_id
    from runtime.server import is_up

    if is_up():  # a server not up yet is asked by the runs themselves, as Prefect does
        block_id()
        asyncio.run(version_checking.check_server_version(
            str(get_current_settings().api.url), log, raise_on_error=False))
    return True


_SETTINGS: dict[tuple, Any] = {}
_SETTING_FILES = (".env", "prefect.toml", "pyproject.toml")


def _settings_inputs() -> tuple:
    """What Prefect's settings are read from: PREFECT_ variables (not the per-run PREFECT__
    ones), the profile and the setting files of the working directory, as they are now."""
    import os

    env = tuple(sorted((k, v) for k, v in os.environ.items()
                       if k.startswith("PREFECT_") and not k.startswith("PREFECT__")))
    folder = os.getcwd()
    files = [os.path.join(folder, name) for name in _SETTING_FILES]
    files.append(os.environ.get("PREFECT_PROFILES_PATH")
                 or os.path.join(os.environ.get("PREFECT_HOME", ""), "profiles.toml"))
    stamps = []
    for path in files:
        try:
            stamps.append((path, os.stat(path).st_mtime_ns))
        except OSError:
            stamps.append((path, None))
    return env, folder, tuple(stamps)


def settings_from_environment() -> Any:
    """``Settings()``, built once for the same inputs: Prefect's settings are not changed in
    place (a change makes a new object), so one object can serve every run."""
    from prefect.settings.models.root import Settings

    key = _settings_inputs()
    made = _SETTINGS.get(key)
    if made is None:
        made = _SETTINGS[key] = Settings()
    return made


def build_settings_once() -> bool:
    """In the fork server: set the variables the runner adds to every run's environment (its
    explicitly set settings), and build the settings every run will ask for."""
    import os

    from prefect.settings import get_current_settings

    for key, value in get_current_settings().to_environment_variables(exclude_unset=True).items():
        os.environ.setdefault(key, value)
    settings_from_environment()
    return True


def runs_take_settings_from_their_environment() -> bool:
    """In the runner: the runs it starts build ``Settings()`` through
    :func:`settings_from_environment` (the fork server's, inherited), and their serialized
    context carries no second copy of the settings."""
    import prefect.flow_engine as engine

    if not (hasattr(engine, "Settings") and hasattr(engine, "serialize_context")):
        log.warning("Prefect no longer builds a run's settings this way: left as is")
        return False
    serialize = engine.serialize_context
    if getattr(serialize, "_kefu_without_settings", False):
        return True

    from prefect.context import SettingsContext
    from prefect.settings.models.root import Settings

    @functools.wraps(serialize)
    def without_settings(*args: Any, **kwargs: Any) -> dict[str, Any]:
        hidden = SettingsContext.__var__.set(None)  # not serialized at all (~2 ms a run)
        try:
            return {**serialize(*args, **kwargs), "settings_context": {}}
        finally:
            SettingsContext.__var__.reset(hidden)

    without_settings._kefu_without_settings = True  # type: ignore[attr-defined]
    engine.serialize_context = without_settings
    engine.Settings = settings_from_environment  # type: ignore[assignment]
    Settings.to_environment_variables = _as_variables_once(Settings.to_environment_variables)
    return True


def _as_variables_once(original: Callable[..., dict[str, str]]) -> Callable[..., dict[str, str]]:
    """The runner writes its settings out as environment variables for every run it starts
    (``to_environment_variables``, ~2 ms each time); the same settings object gives the same
    variables, so they are written out once per object."""
    if getattr(original, "_kefu_once", False):
        return original
    kept: dict[tuple, tuple[Any, dict[str, str]]] = {}

    @functools.wraps(original)
    def once(self, exclude_unset: bool = False, include_secrets: bool = True,  # noqa: ANN001
             include_aliases: bool = False) -> dict[str, str]:
        key = (id(self), exclude_unset, include_secrets, include_aliases)
        hit = kept.get(key)
        if hit is None or hit[0] is not self:
            if len(kept) >= 16:
                kept.clear()
            hit = kept[key] = (self, original(self, exclude_unset=exclude_unset,
                                              include_secrets=include_secrets,
                                              include_aliases=include_aliases))
        return dict(hit[1])

    once._kefu_once = True  # type: ignore[attr-defined]
    return once


def poll_for_at_most(runs: int) -> bool:
    """In the runner: a poll for scheduled runs that names no limit asks for ``runs``."""
    from prefect.client.orchestration._deployments.client import DeploymentAsyncClient

    original = DeploymentAsyncClient.__dict__.get("get_scheduled_flow_runs_for_deployments")
    if original is None:
        log.warning("Prefect no longer polls for scheduled runs this way: left as is")
        return False
    original = getattr(original, "_kefu_original", original)

    @functools.wraps(original)
    async def at_most(self, deployment_ids, scheduled_before=None, limit=None):  # noqa: ANN001, ANN202
        return await original(self, deployment_ids, scheduled_before, limit or runs)

    at_most._kefu_original = original  # type: ignore[attr-defined]
    DeploymentAsyncClient.get_scheduled_flow_runs_for_deployments = at_most  # type: ignore[method-assign]
    return True


def apply() -> None:
    skip_outside_suspension_watch()
    share_api_tls_context()
