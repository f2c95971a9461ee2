"""Vonage with the database down: the same spool as Twilio's, an NCCO that says the call was
received, and a replay that records the call exactly once."""

from __future__ import annotations

import json

from redis import Redis
from sqlalchemy import Engine

from voice_app.calls.spooling import replay_pending
from voice_app.spool import Spool
from workers_db.db import make_session_factory
from workers_db.settings import Settings

from . import test_ivr_spool
from .ivr_support import MORNING, SITE_NUMBER, TANAKA, Clock
from .test_ivr_spool import DEAD_DATABASE, _app, _worker_events
from .vonage_support import Vonage, talked

committed_world = test_ivr_spool.committed_world  # the fixture


def test_a_vonage_call_with_the_database_down_is_spooled_and_replayed_once(
    settings: Settings, committed_world: Engine, redis_conn: Redis
) -> None:
    clock = Clock(MORNING)
    down = Vonage(_app(settings, clock, database_url=DEAD_DATABASE).test_client(), clock)
    call = down.call(TANAKA, SITE_NUMBER)
    response = down.post("/vonage/answer", call.body())
    assert response.status_code == 200 and response.mimetype == "application/json"
    ncco = json.loads(response.data)
    assert talked(ncco) == [
        "記録を受け付けました。失礼します。",
        "Your check-in has been received. Goodbye.",
    ]
    assert [a["language"] for a in ncco] == ["ja-JP", "en-US"]
    [entry] = Spool(settings.spool_path).pending()
    assert json.loads(entry.read_text())["provider"] == "vonage"
    assert _worker_events(committed_world) == []

    replay_pending(settings, make_session_factory(committed_world))
    replay_pending(settings, make_session_factory(committed_world))
    [event] = _worker_events(committed_world)
    assert (event.direction, event.occurred_at) == ("entry", MORNING)
    up = Vonage(_app(settings, clock).test_client(), clock)
    assert json.loads(up.post("/vonage/answer", call.body()).data) == ncco  # Vonage's retry
    assert len(_worker_events(committed_world)) == 1
