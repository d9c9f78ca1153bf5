"""Prefect's own database on PostgreSQL (issue 20 §1): with KEFU_PREFECT_DATABASE_URL,
``kefu server start`` runs the Prefect server on PostgreSQL, and a complaint's flow run
reaches its first wait there (its run is a row in that database, not in a SQLite file)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import Kefu, _drop_postgres, _postgres_database, free_port, kefu_env


@pytest.fixture()
def prefect_database():
    url = _postgres_database()
    if url is None:
        pytest.skip("NO POSTGRESQL SERVER ANSWERS: Prefect-on-PostgreSQL NOT tested")
    yield url
    _drop_postgres(url)


def test_the_prefect_server_on_postgresql_runs_a_complaint_to_its_wait(tmp_path, mailbox,
                                                                       prefect_database):
    import psycopg

    api = f"http://127.0.0.1:{free_port()}/api"
    kefu = Kefu(env=kefu_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.db'}", api, mailbox.port))
    kefu.env["KEFU_PREFECT_DATABASE_URL"] = prefect_database   # postgresql+psycopg://…
    started = kefu.run("server", "start")
    try:
        assert "on PostgreSQL" in started.stdout + started.stderr
        assert not (Path(kefu.env["PREFECT_HOME"]) / "prefect.db").exists()
        kefu.run("init")
        kefu.start_worker()
        number = kefu.json("complaint", "file", "--channel", "phone", "--customer", "库测",
                           "--phone", "13800000000", "--content", "酒的口感不对",
                           "--email", "pg@customer.example")["number"]
        kefu.pending(number, "handling", timeout=120)
        run_id = kefu.show(number)["flow_run_id"]
        state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state_type"]
        assert state in ("PAUSED", "RUNNING", "COMPLETED")
        plain = prefect_database.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as conn:
            stored = conn.execute("SELECT name FROM flow_run WHERE id = %s", (run_id,)).fetchone()
        assert stored is not None and number in stored[0]
    finally:
        kefu.kill_worker()
        kefu.run("server", "stop", check=False)


def test_a_prefect_database_url_that_is_not_postgresql_is_refused_in_one_line(tmp_path):
    api = f"http://127.0.0.1:{free_port()}/api"
    kefu = Kefu(env=kefu_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.db'}", api, free_port()))
    kefu.env["KEFU_PREFECT_DATABASE_URL"] = "mysql://root@127.0.0.1/prefect"
    refused = kefu.run("server", "start", check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("error: KEFU_PREFECT_DATABASE_URL")
    assert "Traceback" not in refused.stderr
    assert not _answers(api)                  # nothing was started


def _answers(api: str) -> bool:
    try:
        httpx.get(f"{api}/health", timeout=1)
        return True
    except httpx.HTTPError:
        return False
