"""The fork server's rehearsal (runtime/rehearsal.py) walks a complaint through every step and
keeps nothing: no row in any table, no message sent, no connection left open; what it keeps is
the engine's compiled statements, which the runs forked after it inherit."""

from __future__ import annotations

import pytest
from conftest import _drop_postgres, _postgres_database
from sqlalchemy import func, inspect, select, text

from models import Base, Complaint, Notification
from models.db import engine, session_scope
from models.migrate import upgrade
from policy.load import load_policy
from runtime.rehearsal import rehearse
from tasks.organisation import sync_organisation


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kefu.db'}"
    else:
        url = _postgres_database()
        if url is None:
            pytest.skip("NO POSTGRESQL SERVER ANSWERS: PostgreSQL rehearsal test NOT run")
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_MAIL_URL", "mailto://127.0.0.1:9?from=k@test.example&mode=insecure")
    monkeypatch.delenv("KEFU_NOW", raising=False)
    monkeypatch.delenv("KEFU_POLICY", raising=False)
    upgrade(url)
    with session_scope() as session:
        sync_organisation(session, load_policy())
    yield url
    engine(url).dispose()
    if request.param == "postgresql":
        _drop_postgres(url)


def _row_counts() -> dict[str, int]:
    with session_scope() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def test_a_rehearsal_runs_every_step_and_keeps_nothing(fresh_db):
    before = _row_counts()
    cache = engine()._compiled_cache
    cached_before = len(cache)

    took = rehearse(load_policy())

    assert took is not None, "the rehearsal did not get through the complaint"
    assert _row_counts() == before
    assert engine().pool.checkedout() == 0
    # Every step's statements are compiled now (filing, classifying, routing, replying,
    # deciding, the outbox, archiving, the card) ...
    compiled = len(cache)
    assert compiled - cached_before >= 20
    # ... and stay compiled: a second case finds every statement in the cache.
    assert rehearse(load_policy()) is not None
    assert len(cache) == compiled
    assert _row_counts() == before


def test_a_rehearsal_that_fails_half_way_is_rolled_back_and_does_not_raise(fresh_db):
    """Archiving fails here (its table is gone): everything before it is undone too."""
    with session_scope() as session:
        cascade = " CASCADE" if session.bind.dialect.name == "postgresql" else ""
        session.execute(text(f"DROP TABLE archive_records{cascade}"))
    assert "archive_records" not in inspect(engine()).get_table_names()

    assert rehearse(load_policy()) is None

    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert engine().pool.checkedout() == 0
