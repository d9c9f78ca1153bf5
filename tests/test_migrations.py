"""Alembic migrations: head makes exactly the tables the models describe, and every
migration goes back down and up again, on SQLite and on PostgreSQL. A new migration is
checked here without a test of its own."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import _drop_postgres, _postgres_database
from sqlalchemy import inspect

from alembic import command
from models import Base
from models.db import PROJECT_ROOT, engine
from models.migrate import upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kefu.db'}"
        return
    url = _postgres_database()
    if url is None:
        pytest.skip("NO POSTGRESQL SERVER ANSWERS: the PostgreSQL migration test NOT run")
    yield url
    engine(url).dispose()
    _drop_postgres(url)


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes.update(url=url, configure_logging=False)
    return config


def _differences(url: str) -> list:
    with engine(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_head_makes_the_tables_the_models_describe(empty_database):
    upgrade(empty_database)
    assert _differences(empty_database) == []


def test_every_migration_goes_down_and_up_again(empty_database):
    url, config = empty_database, _config(empty_database)
    revisions = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
    upgrade(url)
    for revision in revisions:          # newest first: each downgrade runs once
        command.downgrade(config, "-1")
        with engine(url).connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() != revision
    assert set(inspect(engine(url)).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert _differences(url) == []
