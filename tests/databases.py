"""Creating and dropping the tests' own PostgreSQL databases (one place for the admin SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from workers_db.db import make_engine


@contextmanager
def _maintenance(url: str) -> Iterator[Connection]:
    """An autocommit connection to the server's `postgres` database, without the engine's
    webhook-sized statement timeout (DROP/CREATE DATABASE may wait on a busy machine)."""
    admin = make_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SET statement_timeout = 0"))
            yield conn
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    name = make_url(url).database
    with _maintenance(url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def recreate_database(url: str) -> None:
    """An empty database of that name (whoever was connected to the old one is cut off)."""
    name = make_url(url).database
    with _maintenance(url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
