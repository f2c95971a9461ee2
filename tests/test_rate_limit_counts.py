"""The rate limit's counts (`voice_app.ratelimit.CallCounts`) on a real Redis, through signed
webhooks: a caller's first call at a process is admitted without a round trip and counted a
moment later; every later call there is counted at once, exactly; another process sharing the
Redis counts every process's calls from its second call of the caller on."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

import voice_app.ratelimit as ratelimit
from jobs.connection import LuaScript
from jobs.deferred import flush_deferred
from voice_app.ratelimit import CallCounts, caller_key
from workers_db.settings import Settings

from .abuse_support import (
    CALLS_PER_CALLER,
    app_for_limits,
    limited_app_fixture,
    limited_fixture,
)
from .ivr_support import (
    SITE_NUMBER,
    Clock,
    Twilio,
    World,
    clock_fixture,
    verbs,
    world_fixture,
)

__all__ = ["clock_fixture", "limited_app_fixture", "limited_fixture", "world_fixture"]
FLOOD = "+819077770000"


def _start(twilio: Twilio, caller: str) -> list[str]:
    response = twilio.post("/twilio/voice", twilio.call(caller, SITE_NUMBER).params())
    assert response.status_code == 200
    return verbs(ET.fromstring(response.data))


def _asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the calls counted while the webhook waited, from now on."""
    asked: list[str] = []

    class Counted(LuaScript):
        def __call__(
            self, redis: Redis, keys: Sequence[str], args: Sequence[str | int | float]
        ) -> object:
            asked.append(keys[0])
            return super().__call__(redis, keys, args)

    monkeypatch.setattr(ratelimit, "_COUNT", Counted(ratelimit._COUNT.source))
    return asked


def _key(settings: Settings, caller: str) -> str:
    return caller_key(settings.secret_key, f"from:{caller}")


def test_a_first_call_asks_redis_nothing_and_is_counted_a_moment_later(
    limited: Twilio,
    world: World,
    settings: Settings,
    redis_conn: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, "COUNT_DELAY_S", 60.0)  # nothing goes until it is sent here
    asked = _asked(monkeypatch)
    assert _start(limited, FLOOD) != ["Reject"]
    assert asked == [] and redis_conn.zcard(_key(settings, FLOOD)) == 0
    flush_deferred()
    assert redis_conn.zcard(_key(settings, FLOOD)) == 1
    assert redis_conn.ttl(_key(settings, FLOOD)) > 0  # it expires with its window


def test_later_calls_are_counted_at_once_with_the_first_one_still_held(
    limited: Twilio,
    world: World,
    settings: Settings,
    redis_conn: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, "COUNT_DELAY_S", 60.0)
    asked = _asked(monkeypatch)
    for _ in range(CALLS_PER_CALLER):
        assert _start(limited, FLOOD) != ["Reject"]
    assert _start(limited, FLOOD) == ["Reject"]  # the limit, exactly, in one process
    assert len(asked) == CALLS_PER_CALLER  # every call but the first waited for its count
    assert redis_conn.zcard(_key(settings, FLOOD)) == CALLS_PER_CALLER + 1


def test_another_process_counts_every_process_from_its_second_call_on(
    limited: Twilio,
    world: World,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    redis_conn: Redis,
) -> None:
    for _ in range(CALLS_PER_CALLER):
        assert _start(limited, FLOOD) != ["Reject"]
    other = app_for_limits(
        settings, session_factory, clock, GENBA_CALLS_PER_CALLER=CALLS_PER_CALLER
    )
    elsewhere = Twilio(other.test_client())
    assert _start(elsewhere, FLOOD) != ["Reject"]  # its first: one call over, the bound
    assert _start(elsewhere, FLOOD) == ["Reject"]
    assert _start(limited, FLOOD) == ["Reject"]  # and the first process sees it too


def test_counts_not_sent_cost_a_warning_and_the_call_goes_through(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = settings.with_overrides(redis_url="redis://127.0.0.1:18699/0")
    app = app_for_limits(dead, session_factory, clock)
    assert _start(Twilio(app.test_client()), FLOOD) != ["Reject"]
    with caplog.at_level(logging.WARNING, logger="voice_app.ratelimit"):
        flush_deferred()
    assert "first calls not counted in Redis" in caplog.text
    assert "7777" not in caplog.text


def test_callers_not_heard_from_for_a_window_are_forgotten(
    redis_conn: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "_PRUNE_AT", 10)
    counts = CallCounts(lambda: redis_conn)
    for i in range(10):
        assert counts.admit(f"genba:rl:call:test-{i}", f"CA{i}", 1000.0, 3, 60) == (True, None)
    counts.admit("genba:rl:call:test-late", "CA-late", 1100.0, 3, 60)  # the others' window ended
    assert set(counts._last_call) == {"genba:rl:call:test-late"}


def test_keys_still_in_their_window_are_not_gone_through_on_every_call(
    redis_conn: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "_PRUNE_AT", 10)
    counts = CallCounts(lambda: redis_conn)
    pruned: list[int] = []
    prune = counts._prune
    monkeypatch.setattr(counts, "_prune", lambda *a: pruned.append(1) or prune(*a))
    for i in range(100):  # a morning peak: every caller a new one, none out of its window
        counts.admit(f"genba:rl:call:test-{i}", f"CA{i}", 1000.0 + i, 3, 900)
    assert len(counts._last_call) == 100
    assert len(pruned) <= 4  # at 11, 23, 47 and 95 keys, not on each of the 89 calls past 10
