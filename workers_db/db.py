"""Engines and session factories.

Entry points (a web request, an RQ job, a CLI command) own the session; the operations in
workers_db only take one.  PostgreSQL connections get bounded connect and statement timeouts
so that a webhook can still answer inside Twilio's 15-second budget when the database is slow
or gone; SQLite gets WAL, foreign keys and a busy timeout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

# Every default number of the data layer, in one place.
PG_CONNECT_TIMEOUT_S = 3
PG_STATEMENT_TIMEOUT_MS = 5_000
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 3
SQLITE_BUSY_TIMEOUT_MS = 5_000


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **overrides: Any) -> Engine:
    """An engine with the project's timeouts; `overrides` go to `create_engine` as they are."""
    if is_sqlite(url):
        _ensure_sqlite_folder(url)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
        kwargs.update(overrides)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs = {
        "pool_pre_ping": True,
        "pool_size": PG_POOL_SIZE,
        "max_overflow": PG_MAX_OVERFLOW,
        "pool_timeout": PG_POOL_TIMEOUT_S,
        "connect_args": {
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}",
            "application_name": "genba-call",
        },
    }
    kwargs.update(overrides)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work for entry points that are not web requests: commit or roll back, close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@cache
def _insert_once(dialect: str, table: Table, index: tuple[str, ...]) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(index))


def insert_ignoring_conflict(session: Session, table: Table, index: tuple[str, ...]) -> Any:
    """`INSERT … ON CONFLICT (index) DO NOTHING` for PostgreSQL and SQLite alike, built once
    per dialect and table (the hot path only binds values)."""
    return _insert_once(session.get_bind().dialect.name, table, index)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
