"""Fixtures on real PostgreSQL and Redis (README.md, 'Development').

- `db_session` / `app` / `client`: each test runs inside one PostgreSQL transaction that is
  rolled back at the end (the app's sessions join it through savepoints, so `commit()` in
  the code under test works and leaves nothing behind).
- `committed_db`: for what must really commit (concurrent requests, forked RQ workers,
  gunicorn): the test gets its own engine, and every table is truncated afterwards.
- `redis_conn`: a Redis database of its own (15 by default), flushed around each test.

Override the servers with GENBA_TEST_DATABASE_URL and GENBA_TEST_REDIS_URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings as hypothesis_settings
from redis import Redis
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from jobs import runtime as job_runtime
from jobs.deferred import flush_deferred
from voice_app import create_app
from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.models import Base
from workers_db.settings import Settings

from .databases import recreate_database

TEST_DATABASE_URL = os.environ.get(
    "GENBA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/genba_test"
)
TEST_REDIS_URL = os.environ.get("GENBA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TWILIO_TEST_TOKEN = "test-twilio-auth-token"
VONAGE_TEST_SECRET = "test-vonage-signature-secret-32bytes"

# Tests never assert on time: no per-example deadline (a loaded CI machine is not a failure).
hypothesis_settings.register_profile("genba", deadline=None, print_blob=True)
hypothesis_settings.load_profile("genba")
PUBLIC_BASE_URL = "https://genba.test"


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the locale's language (docs/errors.md): tests read its English unless
    they set a Japanese locale themselves, whatever the developer's shell has."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")


@pytest.fixture(scope="session")
def database_url() -> str:
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """A fresh database, migrated by Alembic (the real migrations, not create_all)."""
    recreate_database(database_url)
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    value = Settings(
        instance_path=tmp_path / "instance",
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        twilio_auth_token=TWILIO_TEST_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret-key",
        vonage_signature_secret=VONAGE_TEST_SECRET,
    )
    job_runtime.use_settings(value)
    return value


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session], redis_conn: Redis) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings,
            "GENBA_SESSION_FACTORY": session_factory,
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def redis_conn() -> Iterator[Redis]:
    conn = Redis.from_url(TEST_REDIS_URL)
    flush_deferred()  # an earlier test's web commits, not sent into this one
    conn.flushdb()
    yield conn
    flush_deferred()
    conn.flushdb()
    conn.close()


def truncate_all(eng: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def committed_db(engine: Engine) -> Iterator[Engine]:
    """An engine whose commits are real; every table is emptied after the test."""
    truncate_all(engine)
    yield engine
    truncate_all(engine)


@pytest.fixture
def committed_app(settings: Settings, committed_db: Engine, redis_conn: Redis) -> Flask:
    """The app with its own engine and real commits (for concurrency tests)."""
    return create_app({"TESTING": True, "GENBA_SETTINGS": settings})
