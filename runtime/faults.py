"""Kill points for the fault tests: ``kill -9`` a process at a named step boundary of a case.

Nothing happens unless ``KEFU_FAULT_DIR`` is set (the fault tests set it on the processes they
start). A test arms a kill point by writing a file ``<case>@<point>`` in that folder whose
content names what to kill: ``flow`` (the process that reaches the point: a flow run's, or
the sweep's), ``worker`` (the worker and every process it started) or ``server`` (the Prefect
server, whose process group id is in ``server.pgid``). Each file is removed before the kill,
so each kill happens once. A point is ``<task name>#<n>``: after the n-th completion of that
task in one flow-run process (a resumed run counts again from 1).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

_seen: Counter[str] = Counter()


def after_task(task, task_run, state) -> None:  # noqa: ANN001 (Prefect's hook signature)
    """A Prefect ``on_completion`` hook: a kill point after every step of a case's flow."""
    after_step(task.name)


def after_step(name: str) -> None:
    """The kill point after step ``name`` (a task run's, or a step run inline: flows/steps.py)."""
    folder = os.environ.get("KEFU_FAULT_DIR")
    if not folder:
        return
    from prefect.runtime import flow_run

    _seen[name] += 1
    number = (flow_run.get_parameters() or {}).get("number")
    if number:
        kill_if_armed(Path(folder), number, f"{name}#{_seen[name]}")


def at(process: str, point: str) -> None:
    """A kill point outside a flow (the sweep): ``<process>@<point>#<n>``, n counting in this
    process."""
    folder = os.environ.get("KEFU_FAULT_DIR")
    if not folder:
        return
    _seen[f"{process}:{point}"] += 1
    kill_if_armed(Path(folder), process, f"{point}#{_seen[f'{process}:{point}']}")


# Only where a fault test asked for them: otherwise steps carry no hook (and log nothing).
STEP_HOOKS = [after_task] if os.environ.get("KEFU_FAULT_DIR") else []


def kill_if_armed(folder: Path, number: str, point: str) -> None:
    marker = folder / f"{number}@{point}"
    try:
        target = marker.read_text().strip()
        marker.unlink()
    except FileNotFoundError:
        return
    with (folder / "fired").open("a") as log:
        log.write(f"{number}@{point}={target} {time.time():.1f}\n")
    if target == "server":
        os.killpg(int((folder / "server.pgid").read_text()), signal.SIGKILL)
    elif target == "worker":
        os.killpg(os.getpgid(0), signal.SIGKILL)
    else:
        os.kill(os.getpid(), signal.SIGKILL)
