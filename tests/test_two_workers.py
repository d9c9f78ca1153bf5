"""Two ``kefu worker`` processes on one installation, Prefect on PostgreSQL (issue 20 §2).

Twenty complaints are filed; one worker is killed with kill -9 (with its fork server and its
flow-run processes, as when its machine dies) while their runs are in flight. The other worker
takes over the chores (the ``reconcile`` lease) and the dead worker's runs: every case reaches
its wait, two escalation sweeps at once escalate each overdue clock once, and every case
archives after its decisions — with one flow run per case, each message sent once, and no
step of a case done twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import KEFU, ROOT, Kefu, _drop_postgres, _postgres_database, free_port, kefu_env, wait_for
from sqlalchemy import func, select

CASES = 20


@pytest.fixture(scope="module")
def databases():
    kefu_db, prefect_db = _postgres_database(), _postgres_database()
    if kefu_db is None or prefect_db is None:
        pytest.skip("NO POSTGRESQL SERVER ANSWERS: two workers on PostgreSQL NOT tested")
    yield kefu_db, prefect_db
    _drop_postgres(kefu_db)
    _drop_postgres(prefect_db)


def _start_worker(kefu: Kefu, name: str) -> subprocess.Popen:
    with open(os.path.join(kefu.env["KEFU_DATA_DIR"], f"worker-{name}.log"), "ab") as log:
        return subprocess.Popen([*KEFU, "worker"], env=kefu.env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _kill(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)   # the worker, its fork server, its runs
        worker.wait(timeout=30)


def test_two_workers_one_killed_every_case_archives_once(tmp_path, mailbox, databases, policy):
    from models import ApprovalTask, CaseEvent, Complaint, Escalation, Notification, RunProcess
    from models.db import session_scope
    from tasks.approvals import decide

    kefu_db, prefect_db = databases
    api = f"http://127.0.0.1:{free_port()}/api"
    kefu = Kefu(env=kefu_env(tmp_path, kefu_db, api, mailbox.port))
    kefu.env.update({"KEFU_PREFECT_DATABASE_URL": prefect_db, "KEFU_RECONCILE_EVERY": "1",
                     "KEFU_ORPHAN_GRACE": "15"})
    mailbox.messages.clear()
    kefu.run("server", "start")
    workers: dict[str, subprocess.Popen] = {}
    try:
        kefu.run("init")
        workers = {"a": _start_worker(kefu, "a"), "b": _start_worker(kefu, "b")}
        wait_for(lambda: httpx.get(f"{api}/deployments/name/complaint/complaint",
                                   timeout=5).status_code == 200, timeout=120,
                 what="the complaint deployment")
        rows = [{"channel": "phone", "customer": f"双机客户{i}", "phone": "13800000000",
                 "content": "酒的口感不对，有异味", "email": f"c{i}@customer.example"}
                for i in range(CASES)]
        batch = tmp_path / "burst.jsonl"
        batch.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                         encoding="utf-8")
        numbers = [c["number"] for c in kefu.json("complaint", "import", str(batch))]
        assert len(numbers) == CASES

        # Kill worker a while it runs cases: a process of its own is recorded for a run.
        victim = workers["a"].pid

        def a_runs_a_case() -> bool:
            with session_scope(kefu_db) as session:
                return bool(session.scalar(select(func.count()).select_from(RunProcess)
                                           .where(RunProcess.holder.like(f"%:{victim}:%"))))
        wait_for(a_runs_a_case, timeout=120, every=0.1, what="worker a running a case")
        _kill(workers["a"])
        killed_at = time.monotonic()

        def waiting() -> int:
            return kefu._peek("SELECT count(*) FROM approval_tasks WHERE step = 'handling'"
                              " AND status = 'pending'")
        wait_for(lambda: waiting() == CASES, timeout=150, every=0.5,
                 what=f"{CASES} cases waiting for their handling")
        print(f"all {CASES} cases at their wait {time.monotonic() - killed_at:.1f} s after "
              "the kill")

        # Two sweeps at once, ten days on: each overdue clock escalated once.
        later = "2026-12-30T10:00:00+08:00"
        with ThreadPoolExecutor(2) as pool:
            sweeps = list(pool.map(lambda _: kefu.run("escalations", "run", now=later),
                                   range(2)))
        assert all(s.returncode == 0 for s in sweeps)

        decided: set[int] = set()

        def archived() -> bool:
            with session_scope(kefu_db) as session:
                for task in session.scalars(select(ApprovalTask).where(
                        ApprovalTask.status == "pending", ApprovalTask.id.not_in(decided))):
                    decide(session, policy, task.id, actor=task.assignee_key,
                           decision="approve", comment="处理完毕")
                    decided.add(task.id)
                return session.scalar(select(func.count()).select_from(Complaint)
                                      .where(Complaint.status == "archived")) == CASES
        wait_for(archived, timeout=180, every=1, what=f"{CASES} cases archived")
        print(f"all archived {time.monotonic() - killed_at:.1f} s after the kill")

        runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200}, timeout=30).json()
        # a run is named "complaint <number>", and its category once classified
        per_case = Counter(r["name"].split()[1] for r in runs
                           if r["name"].startswith("complaint "))
        assert per_case == Counter({n: 1 for n in numbers}), per_case

        with session_scope(kefu_db) as session:
            rungs = session.execute(select(Escalation.clock_id, Escalation.level)).all()
            events = session.execute(select(CaseEvent.case_number, CaseEvent.kind)).all()
            keys = session.scalars(select(Notification.idempotency_key)).all()
            mails = session.scalar(select(func.count()).select_from(Notification).where(
                Notification.status == "sent", Notification.channel.like("mailto%")))
        assert rungs, "the sweep escalated nothing: the test shows nothing"
        assert max(Counter(rungs).values()) == 1
        doubled = {k: c for k, c in Counter(events).items()
                   if c > 1 and k[1] in ("filed", "handled", "archived")}
        assert not doubled, doubled
        assert len(keys) == len(set(keys))
        wait_for(lambda: len(mailbox.messages) >= mails, timeout=30, what="every mail")
        sent = Counter((tuple(m["to"]), m["subject"], m["body"]) for m in mailbox.messages)
        assert len(mailbox.messages) == mails and max(sent.values()) == 1
        log_b = (tmp_path / "worker-b.log").read_text(encoding="utf-8", errors="replace")
        assert "rescheduled complaint" in log_b, "worker b took over none of a's runs"
    finally:
        for worker in workers.values():
            _kill(worker)
        kefu.run("server", "stop", check=False)


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
