"""The database stops answering: the call goes to the durable spool, the caller still hears it
was received, and once the database is back the call is recorded exactly once, however many
replays run (in the web process after a good request, twice at once, or in an RQ job)."""

from __future__ import annotations

import os
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Worker
from rq.serializers import JSONSerializer
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from jobs.queue import make_queue
from voice_app import create_app
from voice_app.calls.spooling import REPLAY_JOB, REPLAY_JOB_ID, replay_pending
from voice_app.spool import RetryLater, Spool
from workers_db import db
from workers_db.db import make_session_factory
from workers_db.models import CallStep, Event, WorkException
from workers_db.settings import Settings

from .ivr_support import (
    MORNING,
    SHARED_NUMBER,
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    build_world,
    said,
)

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/genba_test"  # nothing listens


@pytest.fixture
def committed_world(committed_db: Engine) -> Iterator[Engine]:
    with Session(committed_db) as session:
        build_world(session)
    yield committed_db


def _app(settings: Settings, clock: Clock, **overrides: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(**overrides),
            "GENBA_CLOCK": clock,
        }
    )


def _worker_events(engine: Engine) -> list[Event]:
    with Session(engine) as session:
        return list(session.scalars(select(Event).where(Event.worker_id.is_not(None))))


def test_a_call_with_the_database_down_is_spooled_and_replayed_exactly_once(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    clock = Clock(MORNING)
    down = Twilio(_app(settings, clock, database_url=DEAD_DATABASE).test_client())
    call = down.call(TANAKA, SITE_NUMBER)
    response = down.post("/twilio/voice", call.params())
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert "記録を受け付けました。失礼します。" in said(root) and root[-1].tag == "Hangup"
    assert down.post("/twilio/voice", call.params()).data == response.data  # Twilio's retry
    spool = Spool(settings.spool_path)
    assert len(spool.pending()) == 1 and _worker_events(committed_world) == []
    # The replay job was enqueued for later (Redis answers while the database does not).
    assert REPLAY_JOB_ID in make_queue(redis_conn).scheduled_job_registry.get_job_ids()

    factory = make_session_factory(committed_world)
    threads = [threading.Thread(target=replay_pending, args=(settings, factory)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    replay_pending(settings, factory)  # and once more, after the fact

    [event] = _worker_events(committed_world)
    assert (event.direction, event.occurred_at) == ("entry", MORNING)  # when it was called
    assert spool.pending() == []
    # The retry that reaches the database now gets what the caller heard, and adds nothing.
    clock.advance(seconds=30)
    up = Twilio(_app(settings, clock).test_client())
    assert up.post("/twilio/voice", call.params()).data == response.data
    assert len(_worker_events(committed_world)) == 1


def test_a_connection_that_died_in_the_pool_spools_one_call_and_the_pool_recovers(
    settings: Settings,
    committed_world: Engine,
    redis_conn: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The zero-key call runs its statements on psycopg directly (workers_db.db.run_on_driver).
    A pooled connection that died a moment ago (not pinged: workers_db.db.PG_PING_IDLE_S)
    fails that one call, which is spooled as when the database is down; the next call gets a
    new connection and is recorded."""
    monkeypatch.setattr(db, "PG_PING_IDLE_S", 3600.0)
    clock = Clock(MORNING)
    app = _app(settings, clock)
    with app.extensions["genba"].engine.connect() as pooled:
        pid = pooled.scalar(text("SELECT pg_backend_pid()"))
    with committed_world.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    twilio = Twilio(app.test_client())
    response = twilio.post("/twilio/voice", twilio.call(TANAKA, SITE_NUMBER).params())
    assert "記録を受け付けました。失礼します。" in said(ET.fromstring(response.data))
    assert len(Spool(settings.spool_path).pending()) == 1
    assert _worker_events(committed_world) == []
    clock.advance(minutes=1)
    twilio.call(TANAKA, SITE_NUMBER).start()
    [event] = _worker_events(committed_world)
    assert event.occurred_at == MORNING + timedelta(minutes=1)


def test_the_next_good_request_replays_the_spool(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    clock = Clock(MORNING)
    down = Twilio(_app(settings, clock, database_url=DEAD_DATABASE).test_client())
    down.call(TANAKA, SITE_NUMBER).start()
    clock.advance(minutes=20)
    up = Twilio(_app(settings, clock).test_client())
    response = up.post("/twilio/status", up.call("+819099998888", SITE_NUMBER).params())
    response.close()  # the replay runs once the response is sent
    [event] = _worker_events(committed_world)
    assert event.occurred_at == MORNING
    assert Spool(settings.spool_path).pending() == []


def test_a_step_in_the_middle_of_a_call_is_spooled_and_replayed(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    clock = Clock(MORNING)
    up = Twilio(_app(settings, clock).test_client())
    call = up.call(TANAKA, SHARED_NUMBER)
    call.start()  # asks for the site code, with the database up
    down = Twilio(_app(settings, clock, database_url=DEAD_DATABASE).test_client())
    spooled = down.post("/twilio/gather/1", call.params(Digits="1234#"))
    assert "記録を受け付けました。失礼します。" in said(ET.fromstring(spooled.data))
    replay_pending(settings, make_session_factory(committed_world))
    [event] = _worker_events(committed_world)
    assert event.direction == "entry" and event.caller_e164 == TANAKA


def test_an_unanswerable_replay_is_left_to_the_office(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    """The shared number needs a site code the caller was never asked for."""
    clock = Clock(MORNING)
    down = Twilio(_app(settings, clock, database_url=DEAD_DATABASE).test_client())
    down.call(TANAKA, SHARED_NUMBER).start()
    replay_pending(settings, make_session_factory(committed_world))
    assert _worker_events(committed_world) == []
    with Session(committed_world) as session:
        [exc] = session.scalars(select(WorkException)).all()
        assert exc.kind == "spool_replayed" and exc.detail["unanswered"] == "site_code"
        assert exc.detail["caller_e164"] == TANAKA
        assert session.scalars(select(CallStep.step)).all() == ["voice"]


def test_when_the_spool_fails_too_the_caller_hears_nothing_was_recorded(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    settings.spool_path.write_text("a file where the spool folder should be")
    down = Twilio(_app(settings, Clock(MORNING), database_url=DEAD_DATABASE).test_client())
    root = down.call(TANAKA, SITE_NUMBER).start()
    assert any("記録できませんでした" in text for text in said(root))


def test_an_rq_worker_replays_the_spool(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    down = Twilio(_app(settings, Clock(MORNING), database_url=DEAD_DATABASE).test_client())
    down.call(TANAKA, SITE_NUMBER).start()
    queue = make_queue(redis_conn)
    queue.enqueue(REPLAY_JOB)  # what the scheduled job does once it is due
    Worker([queue], connection=redis_conn, serializer=JSONSerializer).work(burst=True)
    assert len(_worker_events(committed_world)) == 1
    assert Spool(settings.spool_path).pending() == []


# ---------------------------------------------------------------- the spool on its own


def test_spool_put_is_once_per_key_and_survives_a_failed_replay(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.put("k1", {"n": 1}) is True
    assert spool.put("k1", {"n": 2}) is False  # a retried delivery
    assert spool.has_pending()

    def database_still_down(entry: dict[str, Any]) -> None:
        raise RetryLater("down")

    assert spool.replay(database_still_down).waiting
    assert len(spool.pending()) == 1

    def broken(entry: dict[str, Any]) -> None:
        raise KeyError("a bug")

    report = spool.replay(broken)
    assert report.quarantined == ["k1.json"] and not spool.has_pending()
    assert (tmp_path / "spool" / "failed" / "k1.json").exists()


def test_two_replayers_never_handle_one_entry_twice(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    for i in range(20):
        spool.put(f"k{i}", {"n": i})
    handled: list[int] = []
    lock = threading.Lock()

    def handle(entry: dict[str, Any]) -> None:
        with lock:
            handled.append(entry["n"])

    threads = [threading.Thread(target=spool.replay, args=(handle,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(handled) == list(range(20))


def test_has_pending_sees_an_entry_another_process_spooled_after_an_empty_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    settled = time.time_ns() - 5_000_000_000
    os.utime(folder, ns=(settled, settled))
    asking = Spool(folder)
    assert not asking.has_pending()  # read empty, and remembered so
    assert not asking.has_pending()
    Spool(folder).put("k1", {"n": 1})  # another worker process's spool
    assert asking.has_pending()


def test_has_pending_reads_again_a_folder_emptied_in_the_last_second(tmp_path: Path) -> None:
    """An entry written within the same tick of the file system's clock as the empty read
    leaves the folder's mtime as it was: such a read is not remembered."""
    folder = tmp_path / "spool"
    folder.mkdir()
    asking = Spool(folder)
    assert not asking.has_pending()
    tick = folder.stat().st_mtime_ns
    (folder / "k1.json").write_text("{}")
    os.utime(folder, ns=(tick, tick))  # as if written in the same tick
    assert asking.has_pending()


def test_has_pending_makes_a_missing_folder_and_then_sees_what_is_spooled(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "instance" / "spool"
    asking = Spool(folder)
    assert not asking.has_pending()
    assert folder.is_dir() and list(folder.iterdir()) == []
    Spool(folder).put("k1", {"n": 1})
    assert asking.has_pending()
