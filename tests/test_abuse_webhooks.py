"""Abuse of the voice webhooks and the touch API: garbage, forgeries, floods, huge bodies.

- Unsigned or forged garbage on every /twilio/* route (hypothesis): 403, nothing at all
  recorded.  (Signed garbage is fuzzed by the IVR's own tests/test_ivr_property.py.)
- Oversized bodies: 413 before anything is read or checked; other routes keep the 8 MiB ceiling.
- Rate limits are keyed on the validated caller (`From`), never on the client address; a
  Twilio retry of the same call is not counted; withheld callers count per dialed number;
  without Redis the calls go through.
- PIN brute force from rotating numbers is still locked out on the worker's id.
(The IVR tests cover a single number's PIN lock-out and a forged signature's 403.)
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from voice_app.guards import TOUCHES_MAX_BODY, TWILIO_MAX_BODY
from workers_db.settings import Settings

from .abuse_support import (
    CALLS_PER_CALLER,
    WITHHELD_PER_NUMBER,
    app_for_limits,
    limited_app_fixture,  # noqa: F401
    limited_fixture,  # noqa: F401
    recorded,
)
from .helpers import bearer, make_site, make_token
from .ivr_support import (
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    clock_fixture,  # noqa: F401
    events,
    ivr_app_fixture,  # noqa: F401
    new_sid,
    said,
    sign,
    twilio_fixture,  # noqa: F401
    verbs,
    world_fixture,  # noqa: F401
)

ROUTES = [
    "/twilio/voice",
    "/twilio/gather/1",
    "/twilio/gather/7",
    "/twilio/status",
    "/twilio/fallback",
]
FIELDS = ["CallSid", "From", "To", "Digits", "CallStatus", "CallDuration", "ErrorUrl", "ErrorCode"]
# Anything at all, including control characters, NULs, huge numbers and right-to-left text.
junk = st.one_of(
    st.text(max_size=300),
    st.from_regex(r"\+?[0-9０-９\- ]{0,30}", fullmatch=True),
    st.sampled_from(["anonymous", "", "+81312340001", "CA" + "f" * 32, "1234#", "*#*#", "ＣＡ"]),
    st.integers().map(str),
)
forms = st.dictionaries(st.sampled_from([*FIELDS, "AccountSid", "X"]), junk, max_size=9)
FUZZ = hsettings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    path=st.sampled_from(ROUTES),
    form=forms,
    signature=st.one_of(
        st.just(""),
        # what an HTTP header can carry (no control characters, which Werkzeug refuses first)
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
        st.just("forged"),
    ),
)
def test_unsigned_or_forged_garbage_is_refused_and_records_nothing(
    twilio: Twilio,
    world: World,
    db_session: Session,
    path: str,
    form: dict[str, str],
    signature: str,
) -> None:
    before = recorded(db_session)
    response = twilio.post(path, form, signature=signature)
    assert response.status_code == 403
    assert recorded(db_session) == before


def test_a_call_signed_for_another_caller_is_refused(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    """A valid signature over one form does not cover a `From` swapped afterwards."""
    call = twilio.call("+819055550000", SITE_NUMBER)
    signed_for_stranger = sign("https://genba.test/twilio/voice", call.params())
    forged = {**call.params(), "From": TANAKA}
    assert twilio.post("/twilio/voice", forged, signature=signed_for_stranger).status_code == 403
    assert events(db_session, worker_id=world.tanaka.id) == []


# ---------------------------------------------------------------- oversized bodies


def test_oversized_webhook_bodies_are_refused_before_the_signature_check(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    big = call.params(Padding="x" * (TWILIO_MAX_BODY + 1))
    response = twilio.post("/twilio/voice", big)  # correctly signed, but too large
    assert response.status_code == 413
    assert recorded(db_session).events == 0
    assert twilio.post("/twilio/voice", call.params()).status_code == 200  # the control


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(
    ivr_app: Flask, world: World, db_session: Session
) -> None:
    body = b"CallSid=CA1&From=%2B819011110001&Padding=" + b"x" * (TWILIO_MAX_BODY * 2)
    response = ivr_app.test_client().post(
        "/twilio/voice",
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "whatever"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert recorded(db_session).events == 0


def test_oversized_touch_batches_get_a_json_413(client: FlaskClient, db_session: Session) -> None:
    site = make_site(db_session)
    token = make_token(db_session, "device", site_id=site.id, device_name="reader-1")
    body = b'{"events": [], "pad": "' + b"x" * TOUCHES_MAX_BODY + b'"}'
    response = client.post(
        "/api/v1/touches", data=body, content_type="application/json", headers=bearer(token)
    )
    assert response.status_code == 413
    assert response.get_json()["errors"][0]["message"]
    assert recorded(db_session).events == 0


def test_other_routes_keep_the_general_ceiling(client: FlaskClient, db_session: Session) -> None:
    """A 2 MiB body to a registry route is read (and refused as bad input, not as too large)."""
    token = make_token(db_session, "admin")
    body = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/companies", data=body, content_type="application/json", headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "name"


# ---------------------------------------------------------------- rate limits


def _start(twilio: Twilio, caller: str, sid: str | None = None) -> ET.Element:
    response = twilio.post("/twilio/voice", twilio.call(caller, SITE_NUMBER, sid).params())
    assert response.status_code == 200
    return ET.fromstring(response.data)


def test_rate_limit_is_keyed_on_the_caller_not_on_the_address(
    limited: Twilio, world: World, db_session: Session, clock: Clock, redis_conn: Redis
) -> None:
    flood = "+819077770000"
    for _ in range(CALLS_PER_CALLER):
        assert verbs(_start(limited, flood)) != ["Reject"]
    before = recorded(db_session)
    refused = _start(limited, flood)
    assert verbs(refused) == ["Reject"] and refused[0].get("reason") == "busy"
    assert recorded(db_session) == before  # nothing at all for a refused call
    # The same client address, another caller: answered and recorded as usual.
    root = _start(limited, TANAKA)
    assert "入場を記録しました" in " ".join(said(root))
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    # Redis holds no phone number, only HMACs of them.
    keys = " ".join(str(k) for k in redis_conn.keys("genba:rl:*"))
    assert keys and "7777" not in keys and "1111" not in keys


def test_a_retried_webhook_is_not_counted_against_the_caller(
    limited: Twilio, world: World, db_session: Session
) -> None:
    sid = new_sid()
    for _ in range(CALLS_PER_CALLER + 3):  # Twilio retrying one call many times
        root = _start(limited, TANAKA, sid)
        assert verbs(root) != ["Reject"]
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


def test_withheld_callers_are_counted_per_dialed_number(
    limited: Twilio, world: World, db_session: Session
) -> None:
    for _ in range(WITHHELD_PER_NUMBER):
        assert verbs(_start(limited, "anonymous")) != ["Reject"]
    assert verbs(_start(limited, "anonymous")) == ["Reject"]
    assert verbs(_start(limited, TANAKA)) != ["Reject"]  # shown numbers are not affected


def test_without_redis_calls_are_let_through(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    world: World,
    db_session: Session,
) -> None:
    dead = settings.with_overrides(redis_url="redis://127.0.0.1:18699/0")
    app = app_for_limits(dead, session_factory, clock, GENBA_CALLS_PER_CALLER=1)
    root = _start(Twilio(app.test_client()), TANAKA)
    assert "入場を記録しました" in " ".join(said(root))
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


# ---------------------------------------------------------------- PIN brute force


def test_pin_guessing_from_rotating_numbers_is_locked_out_on_the_worker_id(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    """Each stranger's number fails only twice (under its own lock-out), but the failures add
    up on the CCUS worker id: the right PIN from yet another number is refused."""

    def attempt(caller: str, pins: list[str]) -> list[str]:
        call = twilio.call(caller, SITE_NUMBER)
        root = call.start()
        for pin in pins:
            if root.find("Gather") is None:
                break
            root = call.press(root, "12345678901234#")
            if root.find("Gather") is None:
                break
            root = call.press(root, pin)
        return said(root)

    for n, pins in enumerate([["0000#", "1111#"], ["2222#", "3333#"], ["4444#"]]):
        attempt(f"+81908888000{n}", pins)
    final = attempt("+819088880009", ["2468#"])
    assert any("しばらくの間" in text for text in final)
    assert events(db_session, worker_id=world.tanaka.id) == []
    # The worker's own phone is not locked out: it needs no PIN.
    assert "入場を記録しました" in " ".join(said(twilio.call(TANAKA, SITE_NUMBER).start()))
