"""Concurrent webhooks with real commits on PostgreSQL: one decision per worker at a time, and
a PIN lock-out that no burst of parallel calls can outrun."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from voice_app import create_app
from workers_db import callers
from workers_db.db import make_engine, make_session_factory
from workers_db.settings import Settings

from .helpers import count_secrets_checked
from .ivr_support import (  # noqa: F401
    SITE_NUMBER,
    TANAKA,
    Call,
    Clock,
    Twilio,
    World,
    build_world,
    clock_fixture,
    events,
    ivr_app_fixture,
    said,
    twilio_fixture,
    world_fixture,
)

T = TypeVar("T")
BURST = 30
CCUS_ID = "12345678901234"  # Tanaka's (ivr_support.build_world), PIN 2468


@pytest.fixture(name="wide_app")
def wide_app_fixture(
    settings: Settings, committed_db: Engine, redis_conn: Redis
) -> Iterator[Flask]:
    """`committed_app` with a pool as wide as the bursts below (a burst of 30 requests in one
    process is more than the default pool of 15 serves in time; gunicorn's 2 × 4 threads are
    not), so the test measures the lock-outs, not the pool."""
    engine = make_engine(settings.database_url, pool_size=BURST + 5, max_overflow=0)
    yield create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings,
            "GENBA_SESSION_FACTORY": make_session_factory(engine),
        }
    )
    engine.dispose()


@pytest.fixture
def tanaka_id(committed_db: Engine) -> int:
    with Session(committed_db) as session:
        return build_world(session).tanaka.id


def at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(0..count-1)` in `count` threads released together."""
    barrier = threading.Barrier(count)

    def run(n: int) -> T:
        barrier.wait(timeout=30)
        return work(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_ten_concurrent_calls_of_one_worker_record_one_entry(
    committed_app: Flask, tanaka_id: int, committed_db: Engine
) -> None:
    def check_in(_: int) -> ET.Element:
        return Twilio(committed_app.test_client()).call(TANAKA, SITE_NUMBER).start()

    answers = at_once(10, check_in)
    assert all(root.tag == "Response" for root in answers)
    with Session(committed_db) as session:
        recorded = events(session, worker_id=tanaka_id)
    assert [e.direction for e in recorded if e.direction is not None] == ["entry"]


def test_the_call_decided_second_sees_the_first_even_with_an_earlier_clock(
    twilio: Twilio, world: World, clock: Clock, db_session: Session
) -> None:
    """Two webhooks read their clocks on arrival, then queue on the worker's lock: the one
    decided second may carry the earlier time, and must still see the entry just made."""
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.advance(seconds=-2)
    twilio.call(TANAKA, SITE_NUMBER).start()
    recorded = events(db_session, worker_id=world.tanaka.id)
    assert [e.direction for e in recorded if e.direction is not None] == ["entry"]


def test_thirty_concurrent_pin_tries_evaluate_at_most_five(
    wide_app: Flask,
    tanaka_id: int,
    committed_db: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evaluated = count_secrets_checked(monkeypatch, callers)

    def at_pin_prompt() -> tuple[Call, ET.Element]:
        call = Twilio(wide_app.test_client()).call("anonymous", SITE_NUMBER)
        root = call.press(call.start(), CCUS_ID + "#")
        assert root.find("Gather") is not None, said(root)
        return call, root

    calls = [at_pin_prompt() for _ in range(BURST + 1)]  # all 31 withheld calls at the PIN prompt
    last_call, last_prompt = calls.pop()

    def wrong_pin(n: int) -> ET.Element:
        call, root = calls[n]
        return call.press(root, "0000#")

    answers = at_once(BURST, wrong_pin)
    assert 1 <= len(evaluated) <= 5, len(evaluated)
    refused = [root for root in answers if any("しばらくの間" in t for t in said(root))]
    assert len(refused) == BURST - len(evaluated)

    evaluated.clear()
    right = last_call.press(last_prompt, "2468#")  # the right PIN, after the limit
    assert any("しばらくの間" in text for text in said(right))
    assert evaluated == []
    with Session(committed_db) as session:
        assert events(session, worker_id=tanaka_id) == []
