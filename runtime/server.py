"""Start, check and stop the Prefect server kefu uses: SQLite under kefu's data directory by
default, PostgreSQL with KEFU_PREFECT_DATABASE_URL (the production setting)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from models.db import data_dir
from runtime.polling import until
from runtime.settings import api_url, configure, prefect_database_url


class ServerError(RuntimeError):
    """The Prefect server did not come up; the message says where its log is."""


def is_up(url: str | None = None, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(f"{url or api_url()}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def command(host: str, port: int) -> list[str]:
    """``prefect server start`` through :mod:`runtime.prefect_server`: Prefect's own command
    with Python's cycle collector off the server's event loop, which removes the 60-second
    SQLite stall (issue 20 §3; the module's docstring has the evidence)."""
    return [sys.executable, "-m", "runtime.prefect_server", "start", "--host", host,
            "--port", str(port)]


def _files() -> tuple[Path, Path]:
    folder = data_dir() / "prefect"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "server.pid", folder / "server.log"


def start(wait: float = 120.0, progress=print) -> str:
    """Start ``prefect server start`` in the background unless one already answers."""
    configure()
    url = api_url()
    database = prefect_database_url()  # a bad one is refused before anything starts
    if is_up(url):
        return url
    parsed = urlparse(url)
    pid_file, log_file = _files()
    where = "PostgreSQL" if database else "SQLite"
    progress(f"Starting the Prefect server at {parsed.scheme}://{parsed.netloc} on {where} "
             f"(log: {log_file}) …")
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command(parsed.hostname, parsed.port or 4200),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **({"PREFECT_SERVER_DATABASE_CONNECTION_URL": database}
                                  if database else {})},
        )
    pid_file.write_text(str(process.pid))

    def answers() -> bool:
        if process.poll() is not None:
            raise ServerError(f"the Prefect server exited with {process.returncode}; see {log_file}")
        return is_up(url)

    until(answers, timeout=wait, every=0.5, failure=lambda waited: ServerError(
        f"the Prefect server did not answer within {waited:.0f} s; see {log_file}"))
    return url


def stop() -> bool:
    """Stop the server this data directory started; False when none was running."""
    pid_file, _ = _files()
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(40):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.25)
    os.killpg(pid, signal.SIGKILL)
    return True
