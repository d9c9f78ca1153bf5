"""How the escalation sweep's search scales: with the clocks that are overdue, not with the
clocks that are open.

    .venv/bin/python -m bench.sweep_scale [--open 100000] [--overdue-share 0.01]

Builds a SQLite database (or KEFU_SWEEP_DATABASE_URL) with N open clocks of which a share is
overdue, and times the sweep's query (median of 7) at 10% of N and at N open clocks, and at
twice the overdue count; then times one full sweep (escalate + queue messages) per overdue
clock. Prints a table and JSON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import emit


def _build(url: str, open_count: int, overdue: int, now: datetime) -> None:
    from sqlalchemy import delete, insert

    from models import Clock, Escalation, Notification
    from models.db import engine

    with engine(url).begin() as conn:
        conn.execute(delete(Notification))
        conn.execute(delete(Escalation))
        conn.execute(delete(Clock))
        rows = [{
            "process": "complaint", "case_number": f"TS-2026-{i:07d}", "name": "handling",
            "round": 1, "owner_key": "chen.qe", "escalation_level": 0,
            "due_at": now + timedelta(days=2) if i >= overdue else now - timedelta(hours=1),
            "next_escalation_at": (now + timedelta(days=2) if i >= overdue
                                   else now - timedelta(hours=1)),
        } for i in range(open_count)]
        conn.execute(insert(Clock.__table__), rows)


def _time_query(url: str, now: datetime) -> tuple[float, int]:
    from models.db import session_scope
    from tasks.escalation import overdue_clocks

    times, found = [], 0
    for _ in range(7):
        started = time.perf_counter()
        with session_scope(url) as session:
            found = len(overdue_clocks(session, now, limit=10**9))
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, found


def measure(open_count: int = 100_000, overdue_share: float = 0.01) -> dict:
    """On a database of its own (a fresh SQLite file unless KEFU_SWEEP_DATABASE_URL)."""
    folder = Path(tempfile.mkdtemp(prefix="kefu-sweep-"))
    url = os.environ.get("KEFU_SWEEP_DATABASE_URL") or f"sqlite:///{folder / 'kefu.db'}"
    saved = {k: os.environ.get(k) for k in ("KEFU_DATABASE_URL", "KEFU_MAIL_URL", "KEFU_NOW")}
    os.environ["KEFU_DATABASE_URL"] = url
    os.environ["KEFU_MAIL_URL"] = "mailto://127.0.0.1:9?from=b@bench.example&mode=insecure"
    now = datetime.now(UTC).replace(microsecond=0)
    os.environ["KEFU_NOW"] = now.isoformat()
    try:
        return _measure(url, now, open_count, overdue_share)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _measure(url: str, now: datetime, open_count: int, overdue_share: float) -> dict:
    from models.db import session_scope
    from models.migrate import upgrade
    from policy.load import load_policy
    from tasks.escalation import sweep
    from tasks.organisation import sync_organisation

    policy = load_policy()
    upgrade(url)
    with session_scope(url) as session:
        sync_organisation(session, policy)
    overdue = int(open_count * overdue_share)
    results = {}
    for label, opened, late in (("small_open", open_count // 10, overdue),
                                ("open", open_count, overdue),
                                ("open_2x_overdue", open_count, overdue * 2)):
        _build(url, opened, late, now)
        ms, found = _time_query(url, now)
        assert found == late, (found, late)
        results[label] = {"open": opened, "overdue": late, "query_ms": round(ms, 2)}
    _build(url, open_count, overdue, now)
    started = time.perf_counter()
    escalated = sweep(policy, now)
    full = time.perf_counter() - started
    results["full_sweep"] = {"open": open_count, "overdue": overdue, "escalated": len(escalated),
                             "seconds": round(full, 2),
                             "ms_per_overdue_clock": round(full * 1000 / max(len(escalated), 1), 2)}
    results["ratio_query_open_10x"] = round(results["open"]["query_ms"] / results["small_open"]["query_ms"], 2)
    results["ratio_query_overdue_2x"] = round(
        results["open_2x_overdue"]["query_ms"] / results["open"]["query_ms"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--overdue-share", type=float, default=0.01)
    args = parser.parse_args()
    results = measure(args.open, args.overdue_share)
    emit(results, Path(tempfile.mkdtemp(prefix="kefu-sweep-")), "sweep_scale")


if __name__ == "__main__":
    main()
