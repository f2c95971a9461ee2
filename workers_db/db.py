"""Engines and session factories.

Entry points (a web request, an RQ job, a CLI command) own the session; the operations in
workers_db only take one.  PostgreSQL connections get bounded connect and statement timeouts
so that a webhook can still answer inside Twilio's 15-second budget when the database is slow
or gone; SQLite gets WAL, foreign keys and a busy timeout.

A pooled PostgreSQL connection that sat idle for more than `PG_PING_IDLE_S` is pinged
before it is handed out (`_ping_if_idle`), and replaced when the ping fails: what survives a
PostgreSQL restart or a dropped idle connection is the pool, not the request.  One used a
moment ago is not: SQLAlchemy's `pool_pre_ping` pinged every checkout, one round trip of
every webhook under load.  A connection that dies within that second fails its request like
one that dies during it (a webhook is spooled; SQLAlchemy then replaces every connection of
the pool opened before the failure).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

# Every default number of the data layer, in one place.
PG_CONNECT_TIMEOUT_S = 3
PG_STATEMENT_TIMEOUT_MS = 5_000
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 3
PG_PING_IDLE_S = 1.0  # a pooled connection idle for longer is pinged before use
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
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_if_idle(engine)
    return engine


def _ping_if_idle(engine: Engine) -> None:
    """Ping a connection at checkout when it was idle in the pool for over `PG_PING_IDLE_S`;
    when the ping fails, the pool drops it and hands out a new one (DisconnectionError)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi: Any, entry: ConnectionPoolEntry) -> None:
        entry.info["genba_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi: Any, entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = entry.info.get("genba_idle_since")  # none: a new connection
        if idle_since is None or time.monotonic() - idle_since <= PG_PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("idle connection failed its ping") from exc


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
def insert_ignoring_conflict_on(dialect: str, table: Table, index: tuple[str, ...]) -> Any:
    """`INSERT … ON CONFLICT (index) DO NOTHING` for the dialect named, built once."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(index))


def insert_ignoring_conflict(session: Session, table: Table, index: tuple[str, ...]) -> Any:
    """`INSERT … ON CONFLICT (index) DO NOTHING` for PostgreSQL and SQLite alike, built once
    per dialect and table (the hot path only binds values)."""
    return insert_ignoring_conflict_on(session.get_bind().dialect.name, table, index)


class DriverStatement:
    """A Core statement compiled once for PostgreSQL (psycopg), for the zero-key check-in:
    `run_on_driver` hands its SQL straight to psycopg, without SQLAlchemy's per-execution
    work (cache key, execution context, result object: about 0.1 ms of CPU a statement,
    bench/ivr_bench.py) and psycopg prepares it on the server after a few uses.  Parameters
    go to psycopg as they are and rows come back as psycopg makes them (tuples; no
    TypeDecorator: a timestamptz is an aware datetime in the session's time zone)."""

    def __init__(self, statement: ClauseElement, *, binary: bool = False) -> None:
        """`binary`: the caller's parameters go in psycopg's binary format (`%(name)b`),
        several times cheaper to dump than text for arrays of hundreds of values."""
        compiled = statement.compile(dialect=psycopg_dialect.dialect())
        assert isinstance(compiled, SQLCompiler)
        required = {name for name, bind in compiled.binds.items() if bind.required}
        expanded = compiled.construct_expanded_state(dict.fromkeys(required))
        self.sql: str = expanded.statement
        if binary:
            self.sql = re.sub(r"%\((\w+)\)s", r"%(\1)b", self.sql)
        # The statement's own values (literals, IN lists); the caller binds the rest.
        self.fixed = {k: v for k, v in expanded.parameters.items() if k not in required}
        assert isinstance(statement, Executable)
        self.statement = statement  # for `fetch_rows` on other databases


def run_on_driver(
    session: Session, *statements: tuple[DriverStatement, Mapping[str, Any]]
) -> list[Sequence[tuple[Any, ...]]]:
    """Run `statements` in order on the session's PostgreSQL connection, inside its
    transaction, and return each one's rows (none for a statement without a result, such as
    a SAVEPOINT).  Several go in one round trip (psycopg's pipeline mode, with the
    transaction's BEGIN if it starts here), each still a statement of its own: under READ
    COMMITTED each reads the database as it is when it starts, after the ones before it
    have run.  One goes on its own, after psycopg's BEGIN if the transaction starts here:
    that round trip costs this process less CPU than the pipeline's machinery
    (bench/ivr_instructions.py: about 3 % of a zero-key check-in's instructions).  A
    database error is raised as SQLAlchemy raises it (`DBAPIError` subclasses), the
    connection invalidated when it is gone, so callers handle it as any other."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection: session.connection() checked it out
    cursors = []
    with _as_sqlalchemy_errors(connection, lambda: "; ".join(s.sql for s, _ in statements)):
        if len(statements) == 1:
            [(statement, params)] = statements
            cursor = _kept_cursor(connection, driver)
            cursors.append(cursor.execute(statement.sql, {**statement.fixed, **params}))
        else:
            with driver.pipeline():
                for statement, params in statements:
                    cursors.append(driver.execute(statement.sql, {**statement.fixed, **params}))
        # `pgresult.nfields`, not `description`: that builds a Column object per column.
        return [cursor.fetchall() if _has_rows(cursor) else [] for cursor in cursors]


_KEPT_CURSOR = "genba_cursor"


def _kept_cursor(connection: Connection, driver: Any) -> Any:
    """The psycopg cursor kept with the pooled connection for `run_on_driver`'s statements
    (in the pool entry's `info`, which SQLAlchemy empties when the connection is replaced).
    A new cursor per statement, as `driver.execute` makes, sets up its result's loaders
    again: the check-in's look-up cost this process 110–125 µs of CPU a call with a new
    cursor, 96–108 with the kept one."""
    info = connection.connection.info
    cursor = info.get(_KEPT_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = info[_KEPT_CURSOR] = driver.cursor()
    return cursor


def sent_nothing_yet(session: Session) -> bool:
    """Whether the session's psycopg connection is between two transactions: the session's
    own has sent no statement yet (psycopg sends BEGIN with the first one)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a live connection: session.connection() checked it out
    return bool(driver.info.transaction_status == driver.info.transaction_status.IDLE)


def commit_on_driver(session: Session, sql: str) -> None:
    """Run `sql` (no parameters) and commit it, on the session's psycopg connection, between
    two of its transactions (the session's own transaction has sent nothing yet), with errors
    raised as `run_on_driver` raises them."""
    if not sent_nothing_yet(session):
        raise RuntimeError("commit_on_driver inside a transaction under way")
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    with _as_sqlalchemy_errors(connection, lambda: sql):
        driver.execute(sql)
        driver.commit()


@contextmanager
def autocommitted(session: Session) -> Iterator[bool]:
    """While the session's PostgreSQL transaction has sent nothing yet (True is yielded):
    each statement sent on psycopg (`run_on_driver`) is a transaction of its own, committed
    when it returns, without the BEGIN and COMMIT round trips (psycopg's autocommit).  With a
    transaction under way (False), statements join it as before.  The session's own commit
    then finds nothing to commit.  If autocommit cannot be switched off again (the connection
    broke), the connection is invalidated, so that the pool never hands it out in that mode."""
    if not sent_nothing_yet(session):
        yield False
        return
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.autocommit = True
    try:
        yield True
    finally:
        try:
            driver.autocommit = False
        except connection.dialect.loaded_dbapi.Error as exc:
            connection.invalidate(exc)


@contextmanager
def _as_sqlalchemy_errors(connection: Connection, sql: Callable[[], str]) -> Iterator[None]:
    """A psycopg error raised as SQLAlchemy's own (with the SQL that `sql` gives, built only
    then), the connection invalidated when it is gone (the pool then replaces it)."""
    dialect = connection.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        gone = dialect.is_disconnect(exc, connection.connection.driver_connection, None)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql(),
            None,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from exc


def _has_rows(cursor: Any) -> bool:
    result = cursor.pgresult
    return result is not None and result.nfields > 0


def fetch_rows(
    session: Session, *statements: tuple[DriverStatement, Mapping[str, Any]]
) -> list[Sequence[tuple[Any, ...]]]:
    """Each statement's rows: on PostgreSQL through psycopg, in one round trip
    (`run_on_driver`), elsewhere (SQLite) one after the other through the session, with the
    statements' column types."""
    if session.get_bind().dialect.name == "postgresql":
        return run_on_driver(session, *statements)
    return [
        [tuple(row) for row in session.execute(statement.statement, params)]
        for statement, params in statements
    ]


@cache
def stamp_unless_held(table: Table, key: str, columns: tuple[str, ...]) -> DriverStatement:
    """`UPDATE table SET columns WHERE key = :key`, unless a concurrent transaction holds that
    row for an update (`FOR NO KEY UPDATE SKIP LOCKED`; SQLite lets one writer in at a time
    anyway), returning the id of the row it set, if any; bound by the columns' names and `key`.

    For bookkeeping stamps that every request of a device writes (a token's last use, a
    site's last reader upload): the concurrent request's stamp, taken while ours was in flight,
    stands for both, no request waits for another's commit to write its own, nor holds a lock
    another one waits for.  A Core statement: the session's objects of that row keep the
    values they had."""
    held = (
        select(table.c.id)
        .where(table.c[key] == bindparam("key", type_=table.c[key].type))
        .with_for_update(key_share=True, skip_locked=True)
        .scalar_subquery()
    )
    return DriverStatement(
        update(table)
        .where(table.c.id == held)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .returning(table.c.id)
    )


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
