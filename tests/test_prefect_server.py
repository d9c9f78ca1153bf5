"""The 60-second SQLite stall of the Prefect server (issue 20 §3) and its cure in
``runtime/prefect_server.py``, reproduced in miniature with plain ``sqlite3`` in a subprocess:

- connection H holds SQLite's write lock (``BEGIN IMMEDIATE``); its commit comes from the main
  thread (the server's event loop, where Prefect's transaction coroutines run);
- connection C's thread waits for the write lock (the busy timeout, 3 s here, 60 s in
  Prefect) inside ``sqlite3_step``, holding C's mutex;
- a cursor of C whose statement failed (as Prefect's "database is locked" ones do) is left in a
  reference cycle, and the main thread allocates enough to start a collection: freeing that
  cursor resets its statement, which needs C's mutex.

With Python's automatic collection the main thread waits out the busy timeout before it can
commit H (the stall); with ``collect_off_the_event_loop`` the collector thread waits instead
and H commits at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCENARIO = textwrap.dedent("""
    import gc, json, sqlite3, sys, threading, time

    if sys.argv[2] == "kefu":
        from runtime.prefect_server import collect_off_the_event_loop
        collect_off_the_event_loop()
    path = sys.argv[1]
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE t (x UNIQUE)")
    setup.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    setup.close()

    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    waiter = sqlite3.connect(path, isolation_level=None, timeout=3, check_same_thread=False)
    gc.collect()
    gc.freeze()  # only the cycle below is young garbage

    cursor = waiter.cursor()
    try:  # a statement that failed in sqlite3_step stays on its cursor until the cursor goes
        cursor.execute("INSERT INTO t VALUES (1)")
    except sqlite3.IntegrityError:
        pass
    cycle = [cursor]
    cycle.append(cycle)
    del cursor, cycle

    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (-1)")
    waited = {}

    def wait_for_the_lock():
        started = time.monotonic()
        try:
            waiter.execute("BEGIN IMMEDIATE")
            waiter.execute("COMMIT")
            waited["outcome"] = "got the lock"
        except sqlite3.OperationalError as exc:
            waited["outcome"] = str(exc)
        waited["s"] = time.monotonic() - started

    thread = threading.Thread(target=wait_for_the_lock)
    thread.start()
    time.sleep(0.5)  # the waiter is in SQLite's busy handler now

    started = time.monotonic()
    garbage = [[] for _ in range(5000)]  # past the threshold: a collection starts
    holder.execute("COMMIT")
    commit_s = time.monotonic() - started
    thread.join()
    print(json.dumps({"commit_s": commit_s, "waiter": waited["outcome"],
                      "waiter_s": waited["s"], "gc_enabled": gc.isenabled()}))
""")


def _run(tmp_path, mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCENARIO, str(tmp_path / f"{mode}.db"), mode],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_collection_on_the_event_loop_waits_out_the_busy_timeout(tmp_path):
    stock = _run(tmp_path, "stock")
    # the main thread could not commit until the waiter's 3 s busy timeout failed it
    assert stock["commit_s"] > 2.0, stock
    assert stock["waiter"] == "database is locked", stock


def test_kefus_server_collects_off_the_event_loop_and_the_lock_moves_on(tmp_path):
    kefu = _run(tmp_path, "kefu")
    assert kefu["gc_enabled"] is False, kefu
    assert kefu["commit_s"] < 1.0, kefu
    # the waiter got the lock as soon as the holder committed, not at its timeout
    assert kefu["waiter"] == "got the lock", kefu
    assert kefu["waiter_s"] < 2.0, kefu


# --- Writers queue instead of failing (issue 20 §5) ----------------------------------------
# Two of Prefect's own SQLite write transactions, through its AioSqliteConfiguration: A reads,
# B reads, writes and commits, then A writes. Begun DEFERRED (Prefect's default) A's write
# fails at once ("database is locked": its snapshot is stale, and SQLite calls no busy handler
# for that); begun IMMEDIATE (kefu's server) B waits for A's lock, and both commit.
WRITERS = textwrap.dedent("""
    import asyncio, json, sys

    import sqlalchemy as sa

    if sys.argv[2] == "kefu":
        from runtime.prefect_server import queue_sqlite_writers
        assert queue_sqlite_writers()
    from prefect.server.database.configurations import AioSqliteConfiguration

    async def main():
        config = AioSqliteConfiguration(connection_url=f"sqlite+aiosqlite:///{sys.argv[1]}",
                                        timeout=5)
        engine = await config.engine()
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE t (who TEXT)"))
        b_wrote = asyncio.Event()
        outcome = {}

        async def a():
            session = await config.session(engine)
            try:
                async with config.begin_transaction(session):
                    await session.execute(sa.text("SELECT count(*) FROM t"))
                    try:
                        await asyncio.wait_for(b_wrote.wait(), 1.0)
                    except TimeoutError:
                        pass
                    await session.execute(sa.text("INSERT INTO t VALUES ('a')"))
                outcome["a"] = "committed"
            except sa.exc.OperationalError as exc:
                outcome["a"] = str(exc.orig)
            finally:
                await session.close()

        async def b():
            await asyncio.sleep(0.2)  # A has begun
            session = await config.session(engine)
            try:
                async with config.begin_transaction(session):
                    await session.execute(sa.text("SELECT count(*) FROM t"))
                    await session.execute(sa.text("INSERT INTO t VALUES ('b')"))
                outcome["b"] = "committed"
                b_wrote.set()
            finally:
                await session.close()

        await asyncio.gather(a(), b())
        async with engine.connect() as conn:
            outcome["rows"] = sorted(r[0] for r in await conn.execute(sa.text("SELECT who FROM t")))
        await engine.dispose()
        print(json.dumps(outcome))

    asyncio.run(main())
""")


def _writers(tmp_path, mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", WRITERS, str(tmp_path / f"w-{mode}.db"), mode],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_prefects_deferred_write_fails_when_another_writer_commits_first(tmp_path):
    stock = _writers(tmp_path, "stock")
    assert stock["b"] == "committed", stock
    assert stock["a"] == "database is locked", stock
    assert stock["rows"] == ["b"], stock


def test_kefus_server_queues_the_second_writer_and_both_commit(tmp_path):
    kefu = _writers(tmp_path, "kefu")
    assert kefu == {"a": "committed", "b": "committed", "rows": ["a", "b"]}, kefu
