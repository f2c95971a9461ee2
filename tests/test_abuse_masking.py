"""Phone numbers never appear unmasked in the logs or in the jobs' arguments.

Calls of every kind (known, unknown, withheld with a wrong PIN, forged, rate-limited, status
and fallback callbacks), card touches and a CSV import (with a bad row) run with every
project logger at DEBUG; then the captured log text and every value of every key in Redis
(RQ's job hashes decompressed) are searched for the numbers in each way they can be written:
E.164, national with and without hyphens, and the bare subscriber digits.
"""

from __future__ import annotations

import contextlib
import logging
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from redis import Redis
from sqlalchemy.orm import Session

from jobs.deferred import flush_deferred
from voice_app.cli.group import cli

from .abuse_support import (
    CALLS_PER_CALLER,
    limited_app_fixture,  # noqa: F401
    limited_fixture,  # noqa: F401
)
from .helpers import bearer, make_token
from .ivr_support import (
    SHARED_NUMBER,
    SITE_NUMBER,
    TANAKA,
    Twilio,
    World,
    clock_fixture,  # noqa: F401
    ivr_app_fixture,  # noqa: F401
    twilio_fixture,  # noqa: F401
    world_fixture,  # noqa: F401
)

STRANGER = "+819066612345"
FLOODER = "+818077754321"
IMPORTED = ("+819044451234", "+818033362222")  # written 090-4445-1234 and 080 3336 2222 below
LOGGERS = ("", "voice_app", "workers_db", "jobs", "ivr_flows", "nfc_fallback", "rq", "werkzeug")


def spellings(e164: str) -> list[str]:
    """+819012345678 → +819012345678, 819012345678, 09012345678, 090-1234-5678, 12345678."""
    national = "0" + e164[3:]
    return [e164, e164[1:], national, f"{national[:3]}-{national[3:7]}-{national[7:]}", e164[-8:]]


def redis_dump(conn: Redis) -> str:
    """Every value of every key, RQ's zlib-compressed job data decompressed."""
    parts: list[bytes] = []
    for key in conn.scan_iter():
        assert isinstance(key, bytes)
        parts.append(key)
        kind = conn.type(key)
        values: list[Any]
        if kind == b"hash":
            values = list(conn.hgetall(key).values())
        elif kind == b"string":
            values = [conn.get(key) or b""]
        elif kind == b"list":
            values = conn.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(conn.smembers(key))
        elif kind == b"zset":
            values = list(conn.zrange(key, 0, -1))
        else:
            values = []
        for value in values:
            raw = value if isinstance(value, bytes) else str(value).encode()
            with contextlib.suppress(zlib.error):
                raw = zlib.decompress(raw)
            parts.append(raw)
    return b"\n".join(parts).decode("utf-8", "replace")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_no_phone_number_in_logs_or_job_arguments(
    debug_logs: pytest.LogCaptureFixture,
    twilio: Twilio,
    limited: Twilio,
    world: World,
    ivr_app: Flask,
    db_session: Session,
    runner: FlaskCliRunner,
    redis_conn: Redis,
    tmp_path: Path,
) -> None:
    # Calls: known (entry), unknown, withheld with a wrong PIN, shared number, forged, flood.
    known = twilio.call(TANAKA, SITE_NUMBER)
    known.start()
    twilio.post("/twilio/status", known.params(CallStatus="completed", CallDuration="9"))
    twilio.call(STRANGER, SITE_NUMBER).start()
    withheld = twilio.call("anonymous", SITE_NUMBER)
    root = withheld.start()
    root = withheld.press(root, "12345678901234#")
    withheld.press(root, "9999#")
    shared = twilio.call(STRANGER, SHARED_NUMBER)
    shared.press(shared.start(), "0000#")
    twilio.post("/twilio/voice", known.params(From=STRANGER), signature="forged")
    twilio.post("/twilio/fallback", known.params(ErrorCode="11200", ErrorUrl="x"))
    for _ in range(CALLS_PER_CALLER + 1):
        limited.call(FLOODER, SITE_NUMBER).start()
    assert "rate limit" in debug_logs.text  # the limiter did log (masked)

    # Touches, an unknown card among them.
    token = make_token(db_session, "device", site_id=world.site.id, device_name="reader-1")
    db_session.commit()
    touches = {
        "events": [
            {
                "event_id": "t-1",
                "card_uid": "0123456789ABCDEF",
                "occurred_at": "2025-06-02T07:40:00+09:00",
            }
        ]
    }
    response = ivr_app.test_client().post("/api/v1/touches", json=touches, headers=bearer(token))
    assert response.status_code == 200

    # A CSV import: a good file, then one with a number already owned (the error path).
    good = tmp_path / "good.csv"
    good.write_text(
        "company,worker,phone\n"
        "マスク工業,伊藤 一,090-4445-1234\n"
        "マスク工業,伊藤 二,080 3336 2222\n",
        encoding="utf-8",
    )
    assert runner.invoke(cli, ["import", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("company,worker,phone\nマスク工業,伊藤 三,090-4445-1234\n", encoding="utf-8")
    assert runner.invoke(cli, ["import", str(bad)]).exit_code == 1

    logged = debug_logs.text
    flush_deferred()
    jobs = redis_dump(redis_conn)
    assert "rq:job:" in jobs  # reconciliation jobs were enqueued, so their arguments are here
    assert logged.strip()
    for number in (TANAKA, STRANGER, FLOODER, *IMPORTED):
        for spelling in spellings(number):
            assert spelling not in logged, f"{spelling} in the logs"
            assert spelling not in jobs, f"{spelling} in Redis (job arguments or keys)"
    # No other E.164 Japanese mobile number slipped through either.
    assert not re.search(r"\+81[789]0\d{8}", logged + jobs)
