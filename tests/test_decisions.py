"""Checked decisions (workers_db.decisions) on a real PostgreSQL with real commits: the
zero-key check-in reads without the decision lock and records only if what it read still
holds; when another webhook or a locked decision recorded in between, it gives way and the
step is decided again, and every connection goes back to the pool out of autocommit."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from voice_app import create_app
from workers_db.callers import DbLookup
from workers_db.db import DriverStatement, autocommitted, run_on_driver
from workers_db.decisions import DecisionBasis, DecisionOutdated, confirm, lock_workers
from workers_db.intake import record_call_event
from workers_db.models import CallStep, Event
from workers_db.settings import Settings

from .ivr_support import (
    JST,
    MORNING,
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    build_world,
    events,
)

WINDOW = (MORNING - timedelta(hours=30), MORNING + timedelta(minutes=5))


@pytest.fixture(name="app")
def app_fixture(settings: Settings, committed_db: Engine, redis_conn: Redis) -> Flask:
    """The app over its own engine with real commits, at the fixed morning of ivr_support."""
    return create_app({"TESTING": True, "GENBA_SETTINGS": settings, "GENBA_CLOCK": Clock(MORNING)})


@pytest.fixture(name="world")
def world_fixture(committed_db: Engine) -> Iterator[World]:
    with Session(committed_db, expire_on_commit=False) as session:
        world = build_world(session)
    yield world


def entries(engine: Engine, worker_id: int) -> list[Event]:
    with Session(engine) as session:
        return [e for e in events(session, worker_id=worker_id) if e.direction == "entry"]


def interleave(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> list[int]:
    """Run `meanwhile` once, right after the next checked look-up has read; the list
    returned counts the checked look-ups."""
    original = DbLookup._read_unlocked
    reads: list[int] = []

    def read_then_meanwhile(self: DbLookup, read: dict[str, Any]) -> Any:
        rows = original(self, read)
        reads.append(1)
        if len(reads) == 1:
            meanwhile()
        return rows

    monkeypatch.setattr(DbLookup, "_read_unlocked", read_then_meanwhile)
    return reads


def phone_event(world: World, name: str) -> dict[str, Any]:
    return {"external_id": f"test:{name}", "source": "phone", "site_id": world.site.id,
            "worker_id": world.tanaka.id, "occurred_at": MORNING, "work_date": MORNING.date(),
            "direction": "entry", "caller_e164": TANAKA, "device": "twilio",
            "clock_synced": True, "received_at": MORNING}  # fmt: skip


def test_a_check_in_that_another_recorded_meanwhile_gives_way_and_is_decided_again(
    app: Flask, world: World, committed_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two calls of one worker: the second records its entry after the first has read, so
    the first's write finds a history it did not see, records nothing and decides again
    (locked), seeing that entry: one entry in all, and both calls answered."""
    second: list[ET.Element] = []

    def another_call() -> None:  # in a thread: a request of its own, not nested in this one
        thread = threading.Thread(
            target=lambda: second.append(
                Twilio(app.test_client()).call(TANAKA, SITE_NUMBER).start()
            )
        )
        thread.start()
        thread.join(10)

    reads = interleave(monkeypatch, another_call)
    first = Twilio(app.test_client()).call(TANAKA, SITE_NUMBER).start()
    assert first.tag == second[0].tag == "Response"
    assert len(reads) == 2  # the first call's look-up and the second's; the retry is locked
    assert len(entries(committed_db, world.tanaka.id)) == 1
    with Session(committed_db) as session:
        assert session.scalar(select(func.count()).select_from(CallStep)) == 2


def test_a_locked_decision_holding_the_lock_makes_the_checked_one_wait_and_give_way(
    app: Flask, world: World, committed_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A locked decision (the general path) holds the worker's lock while its entry is not
    committed: the checked write waits on that lock, then sees the entry and gives way."""
    holder = Session(committed_db)
    committed = threading.Event()

    def locked_decision_in_flight() -> None:
        lock_workers(holder, [world.tanaka.id])
        record_call_event(holder, phone_event(world, "locked"))
        threading.Timer(0.3, lambda: (holder.commit(), committed.set())).start()

    interleave(monkeypatch, locked_decision_in_flight)
    try:
        Twilio(app.test_client()).call(TANAKA, SITE_NUMBER).start()
    finally:
        committed.wait(5)
        holder.close()
    recorded = entries(committed_db, world.tanaka.id)
    assert [e.external_id for e in recorded] == ["test:locked"]


def test_a_checked_read_takes_no_lock_and_its_write_commits_on_its_own(
    app: Flask, world: World, committed_db: Engine
) -> None:
    """While a locked decision holds the worker's lock, a checked look-up still reads (it
    waits on nobody); a check-in's connection then goes back to the pool with psycopg's
    autocommit off, and the entry is committed."""
    with Session(committed_db) as holder, Session(committed_db) as reader:
        lock_workers(holder, [world.tanaka.id])
        lookup = DbLookup(reader, MORNING, JST, TANAKA, checked=True)
        assert lookup.site_by_number(SITE_NUMBER) is not None
        assert lookup.basis is not None and lookup.basis.worker_ids == (world.tanaka.id,)
        holder.rollback()
    Twilio(app.test_client()).call(TANAKA, SITE_NUMBER).start()
    assert len(entries(committed_db, world.tanaka.id)) == 1
    engine = app.extensions["genba"].engine
    with engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False


def test_a_retried_voice_url_on_the_checked_path_records_nothing_twice(
    app: Flask, world: World, committed_db: Engine
) -> None:
    call = Twilio(app.test_client()).call(TANAKA, SITE_NUMBER)
    first = ET.tostring(call.start())
    again = ET.tostring(call.start())
    assert again == first
    assert len(entries(committed_db, world.tanaka.id)) == 1
    with Session(committed_db) as session:
        assert session.scalar(select(func.count()).select_from(CallStep)) == 1


def test_confirm_holds_the_lock_when_the_history_is_unchanged_and_refuses_when_not(
    world: World, committed_db: Engine
) -> None:
    basis = DecisionBasis(world.site.id, (world.tanaka.id,), *WINDOW, seen=())
    with Session(committed_db) as session:
        confirm(session, basis)  # nothing recorded since: the lock is now held
        held = session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :id"),
            {"id": world.tanaka.id},
        )
        assert held == 1
        session.rollback()
        event_id, _ = record_call_event(session, phone_event(world, "meanwhile"))
        session.commit()
        with pytest.raises(DecisionOutdated):
            confirm(session, basis)
        session.rollback()
        confirm(session, DecisionBasis(world.site.id, (world.tanaka.id,), *WINDOW, (event_id,)))


def test_autocommit_is_switched_off_again_after_a_failed_statement(committed_db: Engine) -> None:
    with Session(committed_db) as session:
        with pytest.raises(DBAPIError), autocommitted(session) as alone:
            assert alone
            run_on_driver(session, (DriverStatement(text("SELECT 1/0")), {}))
        driver = session.connection().connection.driver_connection
        assert driver is not None and driver.autocommit is False
        session.rollback()
        assert session.scalar(text("SELECT 1")) == 1
