"""The stack every end-to-end benchmark measures: its own data directory and SQLite database,
a local SMTP sink, a Prefect server and the real ``kefu worker``, as a user runs them.

``stack(backend="postgresql")`` puts both databases on temporary PostgreSQL databases instead
(Prefect's through ``KEFU_PREFECT_DATABASE_URL``, kefu's through ``KEFU_DATABASE_URL``), made
on the server of ``KEFU_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and dropped on exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from runtime.ports import free_port


@dataclass
class Stack:
    folder: Path
    worker: subprocess.Popen | None = None

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker"],
            stdout=(self.folder / "worker.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def stop_worker(self) -> None:
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            try:
                self.worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.worker.pid, signal.SIGKILL)
                self.worker.wait()
        self.worker = None

    def server_pid(self) -> int:
        return int((self.folder / "prefect" / "server.pid").read_text())


POSTGRES_SERVER = os.environ.get("KEFU_BENCH_POSTGRES_URL",
                                 "postgresql://postgres@127.0.0.1:5432/postgres")


def create_postgres_database(prefix: str) -> str:
    """A new, empty PostgreSQL database on POSTGRES_SERVER; returns its plain URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_SERVER, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_SERVER.rsplit('/', 1)[0]}/{name}"


def drop_postgres_database(url: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_SERVER, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def environment(kefu_database: str | None = None, prefect_database: str | None = None) -> Path:
    """A fresh data directory, database and Prefect API port, in this process's environment
    (the CLI and worker subprocesses inherit it). Without URLs both databases are SQLite files
    in the data directory."""
    folder = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    os.environ.update({
        "KEFU_DATA_DIR": str(folder),
        "KEFU_DATABASE_URL": kefu_database or f"sqlite:///{folder / 'kefu.db'}",
        "KEFU_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
    })
    if prefect_database:
        os.environ["KEFU_PREFECT_DATABASE_URL"] = prefect_database
    else:
        os.environ.pop("KEFU_PREFECT_DATABASE_URL", None)
    os.environ["PREFECT_API_URL"] = os.environ["KEFU_PREFECT_API_URL"]
    os.environ["PREFECT_HOME"] = str(folder / "prefect")
    os.environ.pop("KEFU_NOW", None)
    os.environ.pop("KEFU_POLICY", None)
    # The table is the output; Prefect's per-task lines would bury it (and cost the worker).
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return folder


@contextmanager
def stack(worker: bool = True, backend: str = "sqlite") -> Iterator[Stack]:
    """Migrated database, SMTP sink, Prefect server and (optionally) the worker; all stopped
    on exit. ``backend``: "sqlite" or "postgresql" (both databases, temporary)."""
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"backend: sqlite or postgresql, not {backend!r}")
    made: list[str] = []
    try:
        if backend == "postgresql":
            made.append(create_postgres_database("kefu_bench"))
            made.append(create_postgres_database("prefect_bench"))
        kefu_url = made[0].replace("postgresql://", "postgresql+psycopg://", 1) if made else None
        with _stack(environment(kefu_url, made[1] if made else None), worker) as running:
            yield running
    finally:
        for url in made:
            drop_postgres_database(url)


@contextmanager
def _stack(folder: Path, worker: bool) -> Iterator[Stack]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    smtp_port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    os.environ["KEFU_MAIL_URL"] = f"mailto://127.0.0.1:{smtp_port}?from=b@bench.example&mode=insecure"

    from models.db import session_scope
    from models.migrate import upgrade
    from policy.load import load_policy
    from runtime import server
    from runtime.runs import wait_for_deployment
    from tasks.organisation import sync_organisation

    upgrade()
    with session_scope() as session:
        sync_organisation(session, load_policy())
    server.start(progress=lambda m: print(m, file=sys.stderr))
    running = Stack(folder)
    try:
        if worker:
            running.start_worker()
            wait_for_deployment()
        yield running
    finally:
        running.stop_worker()
        server.stop()
        smtp.stop()
