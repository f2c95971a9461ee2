"""A lock and a read as one statement (workers_db.locked_read), on a real PostgreSQL: the read
sees what the lock's last holder committed, the function is made once per connection and
again on a new one, and a transaction already under way gets the two statements."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Integer, String, bindparam, func, literal, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from workers_db.db import commit_on_driver, make_engine
from workers_db.locked_read import LockedRead
from workers_db.models import Company

LOCK_CLASS = 7301  # an advisory lock class no code of the app uses
LOCK = select(func.pg_advisory_xact_lock(literal(LOCK_CLASS), bindparam("key", type_=Integer)))
PREFIX = bindparam("prefix", type_=String)
READ = select(Company.id, Company.name).where(Company.name.like(PREFIX + "%"))
READ_COMPANIES = LockedRead("test_companies", LOCK, READ)


@pytest.fixture
def own_engine(committed_db: Engine, database_url: str) -> Iterator[Engine]:
    """A pool of its own, so that the test knows which connections made the function."""
    engine = make_engine(database_url, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


def made_here(session: Session) -> int:
    """How many genba functions this session's connection holds in its pg_temp schema."""
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM pg_proc WHERE proname LIKE 'genba\\_%' "
                "AND pronamespace = pg_my_temp_schema()"
            )
        )
        or 0
    )


def test_the_read_sees_what_the_lock_holder_committed(own_engine: Engine) -> None:
    """The second caller waits on the lock inside the function, and its read, a statement of
    its own after the lock, sees the row the first caller committed meanwhile (one statement
    reading one snapshot from its start would not)."""
    seen: list[list[str]] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait(10)
        with Session(own_engine) as session:
            rows = READ_COMPANIES.run(session, {"key": 1, "prefix": "locked-"}, locked=False)
            seen.append([name for _, name in rows])
            session.commit()

    waiter = threading.Thread(target=second)
    waiter.start()
    with Session(own_engine) as first:
        assert READ_COMPANIES.run(first, {"key": 1, "prefix": "locked-"}, locked=False) == []
        first.add(Company(name="locked-first"))
        first.flush()
        holding.set()
        time.sleep(0.5)  # the second caller is waiting on the lock by now
        assert seen == []
        first.commit()
    waiter.join(10)
    assert seen == [["locked-first"]]


def test_made_once_per_connection_and_again_on_a_new_one(
    own_engine: Engine, committed_db: Engine
) -> None:
    with Session(own_engine) as session:
        READ_COMPANIES.run(session, {"key": 2, "prefix": "x"}, locked=False)
        session.commit()
        assert made_here(session) == 1
        pid = session.scalar(text("SELECT pg_backend_pid()"))
        session.commit()
        READ_COMPANIES.run(session, {"key": 2, "prefix": "x"}, locked=False)
        session.commit()
        assert made_here(session) == 1
    with committed_db.connect() as other:  # another pool's connection
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with Session(own_engine) as session:  # the pooled connection is gone: one failure
        with pytest.raises(OperationalError):
            READ_COMPANIES.run(session, {"key": 2, "prefix": "x"}, locked=False)
        session.rollback()
        session.add(Company(name="x-after"))
        session.commit()
        rows = READ_COMPANIES.run(session, {"key": 2, "prefix": "x"}, locked=False)
        assert [name for _, name in rows] == ["x-after"]
        assert session.scalar(text("SELECT pg_backend_pid()")) != pid
        session.commit()


def test_a_transaction_under_way_gets_the_two_statements(own_engine: Engine) -> None:
    with Session(own_engine) as session:
        session.add(Company(name="open-one"))
        session.flush()  # the transaction has begun: no function is made inside it
        rows = READ_COMPANIES.run(session, {"key": 3, "prefix": "open-"}, locked=False)
        assert [name for _, name in rows] == ["open-one"]
        assert made_here(session) == 0
        assert READ_COMPANIES.run(session, {"key": 3, "prefix": "open-"}, locked=True) == rows
        session.rollback()


def test_a_parameter_list_or_an_odd_name_is_refused() -> None:
    listed = select(Company.id).where(Company.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="ids: an expanding parameter"):
        LockedRead("listed", LOCK, listed)
    untyped = select(Company.id).where(func.length(bindparam("name")) > 3)
    with pytest.raises(ValueError, match="name: a function's parameter needs a type"):
        LockedRead("untyped", LOCK, untyped)
    with pytest.raises(ValueError, match="lower-case letters"):
        LockedRead("Drop Table", LOCK, READ)


def test_committing_on_the_driver_is_refused_inside_a_transaction(own_engine: Engine) -> None:
    with Session(own_engine) as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError, match="inside a transaction under way"):
            commit_on_driver(session, "SELECT 1")
        session.rollback()
