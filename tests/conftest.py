"""Fixtures: a real local Prefect server, a real SMTP server (aiosmtpd), a real database
(SQLite, and PostgreSQL from KEFU_TEST_POSTGRES_URL), and the real ``kefu`` CLI and worker
run as subprocesses, as a user runs them."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runtime.polling import until
from runtime.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
KEFU = [sys.executable, "-m", "cli.main"]
POSTGRES_URL = os.environ.get("KEFU_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def wait_for(predicate, timeout: float = 60.0, every: float = 0.25, what: str = "condition"):
    return until(predicate, timeout=timeout, every=every, failure=lambda waited: AssertionError(
        f"timed out after {waited:.0f} s waiting for {what}"))


@pytest.fixture(scope="session")
def policy():
    """The shipped default policy (000 D2), whatever KEFU_POLICY says."""
    from policy.load import DEFAULT_POLICY, load_policy

    return load_policy(DEFAULT_POLICY)


# --- SMTP ----------------------------------------------------------------------------------

@dataclass
class Mailbox:
    """What the SMTP server received: per message the envelope's recipients, the subject,
    ``body`` (the text/plain part, else the HTML) and ``message`` (the whole parsed mail,
    every part and header)."""

    port: int
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(("plain", "html"))
        self.messages.append({"to": list(envelope.rcpt_tos), "subject": str(message["subject"]),
                              "body": body.get_content() if body else "",
                              "sender": envelope.mail_from, "message": message})
        return "250 OK"

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


@pytest.fixture(scope="session")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


# --- Prefect server ------------------------------------------------------------------------

def start_prefect(home: Path, port: int, extra_env: dict | None = None) -> subprocess.Popen:
    """``prefect server start`` as kefu starts it (runtime.server.command; SQLite under
    ``home``) on ``port``; returns once it answers."""
    import httpx

    from runtime.server import command
    from runtime.settings import server_env

    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": api, **server_env(api), **(extra_env or {})}
    log = (home / "server.log").open("ab")
    server = subprocess.Popen(
        command("127.0.0.1", port), stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True)

    def up() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"Prefect server exited; log: {home / 'server.log'}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=120, what="the Prefect server")
    return server


def stop_prefect(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A real ``prefect server start`` (SQLite) on a free port, for the whole session."""
    port = free_port()
    server = start_prefect(tmp_path_factory.mktemp("prefect-home"), port)
    yield f"http://127.0.0.1:{port}/api"
    stop_prefect(server)


# --- databases -----------------------------------------------------------------------------

def _postgres_database() -> str | None:
    """A fresh PostgreSQL database for this test session, or None when no server answers."""
    import psycopg

    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"kefu_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres(url: str) -> None:
    import psycopg

    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kefu.db'}"
        return
    url = _postgres_database()
    if url is None:
        pytest.skip(f"NO POSTGRESQL SERVER ANSWERS at {POSTGRES_URL}: PostgreSQL tests NOT run")
    yield url
    _drop_postgres(url)


# --- kefu, as a user runs it ---------------------------------------------------------------

_peek_engines: dict = {}


@dataclass
class Kefu:
    env: dict
    worker_process: subprocess.Popen | None = None

    def run(self, *args: str, now: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(self.env)
        if now:
            env["KEFU_NOW"] = now
        done = subprocess.run([*KEFU, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"kefu {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def json(self, *args: str, now: str | None = None):
        return json.loads(self.run(*args, "--json", now=now).stdout)

    def show(self, number: str) -> dict:
        return self.json("complaint", "show", number)

    def start_worker(self) -> None:
        with open(Path(self.env["KEFU_DATA_DIR"]) / "worker.log", "ab") as log:
            self.worker_process = subprocess.Popen(
                [*KEFU, "worker"], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def kill_worker(self) -> None:
        """kill -9 the worker and every flow-run subprocess it started."""
        if self.worker_process and self.worker_process.poll() is None:
            os.killpg(self.worker_process.pid, signal.SIGKILL)
            self.worker_process.wait(timeout=30)
        self.worker_process = None

    def pending(self, number: str, step: str, timeout: float = 90) -> dict:
        def find():
            for task in self.show(number)["approvals"]:
                if task["step"] == step and task["status"] == "pending":
                    return task
            return None
        what = f"a pending {step} task on {number}"
        wait_for(lambda: self._peek(
            "SELECT count(*) FROM approval_tasks WHERE case_number = :number AND step = :step"
            " AND status = 'pending'", number=number, step=step), timeout=timeout, what=what)
        return wait_for(find, timeout=timeout, what=what)

    def status(self, number: str, wanted: str, timeout: float = 90) -> dict:
        what = f"{number} to be {wanted}"
        wait_for(lambda: self._peek(
            "SELECT count(*) FROM complaints WHERE number = :number AND status = :wanted",
            number=number, wanted=wanted), timeout=timeout, what=what)
        return wait_for(lambda: (v := self.show(number))["status"] == wanted and v,
                        timeout=timeout, what=what)

    def _peek(self, sql: str, **params) -> int:
        """A read of kefu's database from the test process, to wait on: each `kefu … show`
        costs a whole interpreter start (~1.5 s of CPU on a 2-core machine), and polling with
        them starved the worker being waited for. What the test then checks still comes from
        the CLI."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.pool import NullPool

        url = self.env["KEFU_DATABASE_URL"]
        if url not in _peek_engines:
            _peek_engines[url] = create_engine(url, poolclass=NullPool)
        try:
            with _peek_engines[url].connect() as connection:
                return connection.execute(text(sql), params).scalar_one()
        except OperationalError:  # a fault test dropping connections, a table not made yet
            return 0


def kefu_env(data: Path, database_url: str, prefect_api: str, mail_port: int) -> dict:
    env = {**os.environ, "KEFU_DATA_DIR": str(data), "KEFU_DATABASE_URL": database_url,
           "KEFU_PREFECT_API_URL": prefect_api, "PREFECT_API_URL": prefect_api,
           "PREFECT_HOME": str(data / "prefect"),
           "KEFU_MAIL_URL": f"mailto://127.0.0.1:{mail_port}?from=kefu@test.example&mode=insecure"}
    env.pop("KEFU_NOW", None)
    env.pop("KEFU_POLICY", None)
    return env


@pytest.fixture(scope="session")
def kefu(prefect_api, mailbox, database_url, tmp_path_factory):
    """An initialised kefu (migrations + policy) with its worker serving flows."""
    data = tmp_path_factory.mktemp("kefu-data")
    runner = Kefu(env=kefu_env(data, database_url, prefect_api, mailbox.port))
    runner.run("init")
    # One SMTP server serves both databases' runs, and case numbers restart on each.
    mailbox.messages.clear()
    runner.start_worker()
    yield runner
    runner.kill_worker()


@pytest.fixture()
def offline_kefu(tmp_path):
    """kefu with a fresh SQLite database and no Prefect server (nothing answers the API)."""
    runner = Kefu(env=kefu_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.db'}",
                               f"http://127.0.0.1:{free_port()}/api", free_port()))
    runner.run("init")
    return runner


