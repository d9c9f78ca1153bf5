"""The stack every end-to-end benchmark measures: its own data directory and SQLite database,
a local SMTP sink, a Prefect server and the real ``kefu worker``, as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
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


def environment() -> Path:
    """A fresh data directory, database and Prefect API port, in this process's environment
    (the CLI and worker subprocesses inherit it)."""
    folder = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    os.environ.update({
        "KEFU_DATA_DIR": str(folder),
        "KEFU_DATABASE_URL": f"sqlite:///{folder / 'kefu.db'}",
        "KEFU_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
    })
    os.environ["PREFECT_API_URL"] = os.environ["KEFU_PREFECT_API_URL"]
    os.environ["PREFECT_HOME"] = str(folder / "prefect")
    os.environ.pop("KEFU_NOW", None)
    os.environ.pop("KEFU_POLICY", None)
    # The table is the output; Prefect's per-task lines would bury it (and cost the worker).
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return folder


@contextmanager
def stack(worker: bool = True) -> Iterator[Stack]:
    """Migrated database, SMTP sink, Prefect server and (optionally) the worker; all stopped
    on exit."""
    folder = environment()
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
