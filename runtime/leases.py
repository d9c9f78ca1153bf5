"""Several ``kefu worker`` processes on one installation (issue 20 §2), through kefu's database.

Every worker serves the same deployments; Prefect lets one of them take each run (a run enters
Pending once: the second runner's proposal is refused). What a worker does besides serving is
shared out here:

* each worker holds a lease ``worker <holder>``, renewed every round: it lives;
* one lease, ``reconcile``, names the worker that reconciles (starts missed runs, wakes decided
  tasks) and restarts dead runs; the others wait for it to lapse;
* each flow run, when it enters Running, writes the process running it (``run_processes``,
  :func:`record_run_process`), so a run is rescheduled only when that process is gone
  (:func:`orphaned`) — never a run a live worker's process still runs.

A holder is ``host:pid:nonce``. On its own host a worker checks a process directly (kill -9
frees its leases at once); a holder on another host is dead once its lease has expired. Times
here are the machine's real clock, never ``KEFU_NOW`` (the frozen clock of tests and demos).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from models import RunProcess, WorkerLease
from models.db import session_scope

HOST = socket.gethostname()
RECONCILE = "reconcile"
# The worker's holder name, inherited by every flow-run process it starts.
HOLDER_ENV = "KEFU_WORKER_HOLDER"


def wall_clock() -> datetime:
    return datetime.now(UTC)


def new_holder() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def parse_holder(holder: str) -> tuple[str, int]:
    host, pid, _ = holder.rsplit(":", 2)
    return host, int(pid)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:  # no /proc (not Linux): kill(0) said it exists
        return True


def holder_alive(holder: str, expires_at: datetime, at: datetime) -> bool:
    """A holder on this host lives while its process does; elsewhere, while its lease does."""
    try:
        host, pid = parse_holder(holder)
    except ValueError:
        return expires_at > at
    if host == HOST:
        return process_alive(pid)
    return expires_at > at


def acquire(name: str, holder: str, ttl: float) -> bool:
    """Take or renew lease ``name`` for ``ttl`` seconds; False while another live holder has it.
    Each step is one conditional statement, so of two workers racing exactly one wins."""
    at = wall_clock()
    until = at + timedelta(seconds=ttl)
    with session_scope() as session:
        renewed = session.execute(
            update(WorkerLease).where(WorkerLease.name == name,
                                      or_(WorkerLease.holder == holder,
                                          WorkerLease.expires_at < at))
            .values(holder=holder, expires_at=until)).rowcount
        if renewed:
            return True
        row = session.execute(select(WorkerLease.holder, WorkerLease.expires_at)
                              .where(WorkerLease.name == name)).first()
        if row is not None:
            if holder_alive(row.holder, row.expires_at, at):
                return False
            # Its holder died (kill -9 on this host): take it over, if nobody did meanwhile.
            return bool(session.execute(
                update(WorkerLease).where(WorkerLease.name == name,
                                          WorkerLease.holder == row.holder)
                .values(holder=holder, expires_at=until)).rowcount)
    try:
        with session_scope() as session:
            session.add(WorkerLease(name=name, holder=holder, expires_at=until))
        return True
    except IntegrityError:  # another worker inserted it first
        return False


def release(holder: str) -> None:
    """A worker stopping frees its leases, so the next one need not wait for them to lapse."""
    with session_scope() as session:
        session.execute(delete(WorkerLease).where(WorkerLease.holder == holder))


def other_live_workers(holder: str) -> list[str]:
    """The other workers alive now; leases of dead ones are removed on the way."""
    at = wall_clock()
    with session_scope() as session:
        rows = session.execute(select(WorkerLease.name, WorkerLease.holder,
                                      WorkerLease.expires_at)
                               .where(WorkerLease.name.like("worker %"))).all()
        dead = [row.name for row in rows if not holder_alive(row.holder, row.expires_at, at)]
        if dead:
            session.execute(delete(WorkerLease).where(WorkerLease.name.in_(dead)))
    return [row.holder for row in rows if row.name not in dead and row.holder != holder]


def record_run_process(flow, flow_run, state) -> None:  # noqa: ANN001  (a Prefect hook)
    """Prefect ``on_running`` hook on every deployed flow (its decorator, so a runner's forked
    process and a pool worker's ``python -m prefect.engine`` both call it): this process runs
    ``flow_run``'s segment that starts with Running state ``state``."""
    holder = os.environ.get(HOLDER_ENV)
    if not holder:  # not started by a kefu worker (a test calling the flow directly)
        return
    with session_scope() as session:
        session.merge(RunProcess(flow_run_id=str(flow_run.id), state_id=str(state.id),
                                 holder=holder, host=HOST, pid=os.getpid(),
                                 recorded_at=wall_clock()))


@dataclass(frozen=True)
class Segment:
    """What kefu knows of the process running a flow run's current segment."""

    state_id: str
    holder: str
    host: str
    pid: int


def run_processes(run_ids: list[str]) -> dict[str, Segment]:
    if not run_ids:
        return {}
    with session_scope() as session:
        rows = session.scalars(select(RunProcess).where(RunProcess.flow_run_id.in_(run_ids)))
        return {row.flow_run_id: Segment(row.state_id, row.holder, row.host, row.pid)
                for row in rows}


def orphaned(state_type: str, state_id: str, age: float, segment: Segment | None, *,
             alone: bool, grace: float, host: str = HOST,
             alive=process_alive, worker_alive=lambda holder: True) -> bool:  # noqa: ANN001
    """Whether a case's flow run in ``state_type`` (its state ``age`` seconds old) has no
    process left and must be rescheduled. Pure, given the two liveness checks.

    * Crashed: its worker saw the process die (kill -9, out of memory) — yes.
    * Running with its process recorded for this very state: on this host, yes once that
      process is gone (whoever's worker it was); on another host, once that worker's lease has
      lapsed and ``grace`` has passed (a flow-run process may outlive its worker a moment).
    * Pending, or Running before its process wrote itself down: no process is known. Yes when
      this worker is ``alone`` (starting, with no other worker alive: nobody else can be
      starting it), else only after ``grace`` seconds (a live runner turns Pending into Running
      within a second or two)."""
    if state_type == "CRASHED":
        return True
    if segment is not None and segment.state_id == state_id:
        if segment.host == host:
            return not alive(segment.pid)
        return not worker_alive(segment.holder) and age > grace
    return alone or age > grace
