"""Engine and sessions. ``KEFU_DATABASE_URL`` picks the database (default: a SQLite file)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Where kefu keeps its files: ``KEFU_DATA_DIR``, else ``data/`` in the project."""
    path = Path(os.environ.get("KEFU_DATA_DIR") or PROJECT_ROOT / "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    return os.environ.get("KEFU_DATABASE_URL") or f"sqlite:///{data_dir() / 'kefu.db'}"


_engines: dict[str, Engine] = {}
_session_makers: dict[str, sessionmaker[Session]] = {}


def engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url not in _engines:
        _engines[url] = _make_engine(url)
    return _engines[url]


def _session_maker(url: str | None) -> sessionmaker[Session]:
    """One session factory per database. A ``sessionmaker`` defines a new ``Session`` subclass,
    and SQLAlchemy sets up event dispatch for every new class: made per unit of work, that
    cost ~5 ms a transaction and grew with the number of classes (cProfile of a complaint's
    flow-run processes: 0.33 s of their 2.9 s)."""
    url = url or database_url()
    if url not in _session_makers:
        _session_makers[url] = sessionmaker(engine(url), expire_on_commit=False)
    return _session_makers[url]


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        made = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

        @event.listens_for(made, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # WAL lets the CLI, the worker and the sweep read while one of them writes.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(made, "begin")
        def _begin_immediate(connection) -> None:
            # A deferred transaction that reads then writes fails at once with "database is
            # locked" when another process writes; taking the write lock up front waits instead.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return made
    return create_engine(url, pool_pre_ping=True)


_rehearsal: ContextVar[Connection | None] = ContextVar("kefu_rehearsal", default=None)


@contextmanager
def rehearsal(url: str | None = None) -> Iterator[None]:
    """Do real work against the database and keep none of it: every unit of work inside joins
    one transaction, rolled back at the end (each "commit" only releases a savepoint). The
    connection is closed and the pool emptied afterwards, so no connection outlives it (the
    worker's fork server rehearses a case this way before it forks any run:
    ``runtime/rehearsal.py``)."""
    try:
        with engine(url).connect() as connection:
            transaction = connection.begin()
            token = _rehearsal.set(connection)
            try:
                yield
            finally:
                _rehearsal.reset(token)
                transaction.rollback()
    finally:
        engine(url).dispose()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back (nothing written) on error."""
    rehearsing = _rehearsal.get()
    session = (_session_maker(url)(bind=rehearsing, join_transaction_mode="create_savepoint")
               if rehearsing is not None else _session_maker(url)())
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
