"""Two ``kefu worker`` processes in runner mode (the embedded default: each serves prefect.yaml's
deployments itself) on one installation, Prefect on PostgreSQL (issue 20 §2).

The must-show scenario runs under a Prefect work pool in tests/test_work_pool.py, with twenty
complaints. Here the same scenario (tests/conftest.py ``burst_survives_a_killed_worker``) runs
with fewer cases in runner mode, whose worker differs: it registers the deployments itself,
starts flow runs from its fork server, and a kill -9 of its process group takes the fork server
with it. Then the lease and the rule for rescheduling, without servers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
from conftest import (
    ROOT,
    burst_survives_a_killed_worker,
    start_kefu_worker,
    two_worker_installation,
    wait_for,
)
from sqlalchemy import func, select

CASES = 6


def test_two_runner_workers_one_killed_every_case_archives_once(tmp_path, mailbox, postgres_pair,
                                                                policy):
    # Half the cases' worth of processes each: neither worker can take every case alone.
    with two_worker_installation(tmp_path, mailbox, postgres_pair,
                                 KEFU_WORKER_PROCESSES=str(CASES // 2)) as (kefu, api, workers):
        workers.update({name: start_kefu_worker(kefu, name) for name in ("a", "b")})
        wait_for(lambda: httpx.get(f"{api}/deployments/name/complaint/complaint",
                                   timeout=5).status_code == 200, timeout=120,
                 what="the complaint deployment")
        burst_survives_a_killed_worker(kefu, workers, mailbox, policy, CASES)


def test_a_lease_goes_to_one_worker_and_to_another_once_its_holder_dies(tmp_path):
    """The ``reconcile`` lease: one holder at a time; a holder killed on this host frees it at
    once, one on another host when it lapses."""
    from models.db import session_scope
    from models.worker import WorkerLease
    from runtime import leases

    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    env = {**os.environ, "KEFU_DATABASE_URL": url, "KEFU_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "cli.main", "init"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    os.environ["KEFU_DATABASE_URL"] = url
    try:
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        other = f"{leases.HOST}:{sleeper.pid}:aaaa"
        me = leases.new_holder()
        assert leases.acquire("reconcile", other, 60)
        assert not leases.acquire("reconcile", me, 60)        # alive: kept
        assert leases.acquire("reconcile", other, 60)         # renewed by its holder
        sleeper.kill()
        sleeper.wait()
        assert leases.acquire("reconcile", me, 60)            # died: taken at once
        assert not leases.acquire("reconcile", other, 60)
        far = "elsewhere.example:1:bbbb"
        assert leases.acquire("chores", far, 0.5)
        assert not leases.acquire("chores", me, 60)           # another host: until it lapses
        time.sleep(0.6)
        assert leases.acquire("chores", me, 60)
        with session_scope() as session:
            assert session.get(WorkerLease, "chores").holder == me
        leases.release(me)
        with session_scope() as session:
            assert session.scalar(select(func.count()).select_from(WorkerLease)) == 0
    finally:
        os.environ.pop("KEFU_DATABASE_URL", None)


def test_a_run_is_rescheduled_only_when_no_process_runs_it():
    from runtime.leases import Segment, orphaned

    here = Segment("s1", "h:1:x", "h", 4242)
    away = Segment("s1", "far:1:y", "far", 4242)
    alive, dead = (lambda pid: True), (lambda pid: False)
    rule = dict(alone=False, grace=30, host="h")
    assert orphaned("CRASHED", "s1", 0, here, alive=alive, **rule)
    assert not orphaned("RUNNING", "s1", 500, here, alive=alive, **rule)
    assert orphaned("RUNNING", "s1", 0, here, alive=dead, **rule)
    # recorded for an earlier segment: the run's process for this state is not known
    assert not orphaned("PENDING", "s2", 5, here, alive=dead, **rule)
    assert orphaned("PENDING", "s2", 31, here, alive=alive, **rule)
    assert orphaned("PENDING", "s2", 0, None, alive=alive, alone=True, grace=30, host="h")
    # another machine: its worker's lease and the grace decide
    assert not orphaned("RUNNING", "s1", 500, away, worker_alive=lambda h: True, **rule)
    assert not orphaned("RUNNING", "s1", 5, away, worker_alive=lambda h: False, **rule)
    assert orphaned("RUNNING", "s1", 31, away, worker_alive=lambda h: False, **rule)
