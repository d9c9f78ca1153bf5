"""``prefect server start`` as kefu runs it: Prefect's own command, with Python's cycle
collector moved off the server's event loop (issue 20 §3, the SQLite stall).

    python -m runtime.prefect_server start --host 127.0.0.1 --port 4200

**The stall.** Prefect 3.8's server on SQLite held every write for its full busy timeout (60 s,
``PRAGMA busy_timeout = 60000``, fixed in ``AioSqliteConfiguration.setup_sqlite``) during
bursts of resumes. Caught in the act by ``bench/sqlite_stall.py`` (``py-spy dump --native`` of
the server while a probe write had waited 10 s):

- the event loop's thread (``MainThread``) was inside the cycle collector, which Python runs on
  whichever thread allocates past its threshold — here a request logging an error: ``gc`` →
  ``cursor_clear`` → ``sqlite3_reset`` → ``pthread_mutex_lock``. It was freeing an abandoned
  ``sqlite3`` cursor (a reference cycle left by an earlier failed request) of a pooled
  connection, and resetting its statement takes that connection's mutex;
- that mutex was held by the connection's aiosqlite thread, inside ``sqlite3_step`` →
  ``sqlite3InvokeBusyHandler``: a write waiting (up to 60 s) for SQLite's write lock;
- the write lock was held by a transaction (``BEGIN IMMEDIATE``, e.g. ``set_flow_run_state``)
  whose coroutine lives on that same blocked event loop, so it could not commit.

Nobody moves until the busy timeout fails the waiting write ("database is locked") 60 s later:
a deadlock broken by a timeout. Nothing in Prefect's settings reaches it (the busy timeout is
not a setting; ``PREFECT_SERVER_DATABASE_TIMEOUT`` is overridden by that PRAGMA).

**The cure here.** Automatic collection is turned off in the server process and a thread of its
own collects with Python's thresholds instead. If that thread meets the same mutex it waits
there, while the event loop goes on, the lock holder commits, the waiting write gets its lock
and releases the mutex: the stall is as long as the holder's transaction, not 60 s. Finalizers
run on that thread, as they already did on whichever aiosqlite or AnyIO worker thread happened
to trigger a collection.

**Writers queue instead of failing (issue 20 §5).** Prefect opens most write transactions on
SQLite as ``BEGIN DEFERRED``: the transaction reads first and asks for the write lock at its
first write, and when another writer committed in between (WAL: ``SQLITE_BUSY_SNAPSHOT``) or
holds the lock, SQLite fails it at once without calling the busy handler; the server answers
503 ("database is locked") and Prefect's client retries after seconds of backoff. Here every
transaction Prefect begins for a write starts ``BEGIN IMMEDIATE`` (what Prefect already does for
the few it marks ``with_for_update``), so a writer waits in the busy handler for the lock and
then proceeds. Reads outside a transaction are untouched. ``KEFU_PREFECT_SQLITE_IMMEDIATE=0``
leaves Prefect's transactions as they are. Everything else is Prefect's command as it is.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time

# How often the collector thread looks at the allocation counts, and the least time between two
# full collections (Python itself skips a full collection until a quarter of the long-lived
# objects are new; a server holds a few hundred thousand, so a full pass is not free).
LOOK_EVERY_S = 0.05
FULL_AT_MOST_EVERY_S = 10.0


def collect_off_the_event_loop() -> threading.Thread:
    """Disable automatic collection; collect from a daemon thread with the same thresholds."""
    thresholds = gc.get_threshold()
    gc.disable()

    def collect() -> None:
        last_full = time.monotonic()
        while True:
            time.sleep(LOOK_EVERY_S)
            counts = gc.get_count()
            if counts[0] <= thresholds[0]:
                continue
            generation = 0
            if counts[1] > thresholds[1]:
                generation = 1
                if counts[2] > thresholds[2] and \
                        time.monotonic() - last_full >= FULL_AT_MOST_EVERY_S:
                    generation = 2
                    last_full = time.monotonic()
            gc.collect(generation)

    thread = threading.Thread(target=collect, name="kefu-gc", daemon=True)
    thread.start()
    return thread


def queue_sqlite_writers() -> bool:
    """Every SQLite transaction Prefect begins starts ``BEGIN IMMEDIATE``; False (and Prefect
    left as it is) when switched off or when Prefect no longer has the method."""
    if os.environ.get("KEFU_PREFECT_SQLITE_IMMEDIATE", "1").strip() == "0":
        return False
    from prefect.server.database import configurations

    sqlite = configurations.AioSqliteConfiguration
    original = sqlite.__dict__.get("begin_transaction")
    if original is None or getattr(original, "_kefu_immediate", False):
        return False

    def begin_transaction(self, session, with_for_update: bool = False):  # noqa: ANN001, ARG001
        return original(self, session, with_for_update=True)

    begin_transaction._kefu_immediate = True  # type: ignore[attr-defined]
    sqlite.begin_transaction = begin_transaction  # type: ignore[method-assign]
    return True


def main() -> None:
    collect_off_the_event_loop()
    queue_sqlite_writers()
    from prefect.cli import app

    sys.argv = ["prefect", "server", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
