"""The Twilio behaviours of docs/ivr.md (1-7), driven by signed webhooks on PostgreSQL,
following the TwiML the service returns."""

from __future__ import annotations

import logging
from datetime import timedelta

import flask
import pytest
from flask import Flask
from flask.sessions import NullSession
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from voice_app import create_app
from workers_db.intake import record_event
from workers_db.models import CallLog, Event
from workers_db.settings import Settings

from .conftest import TWILIO_TEST_TOKEN
from .ivr_support import (
    JST,
    MORNING,
    REJECT_NUMBER,
    SHARED_NUMBER,
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    clock_fixture,  # noqa: F401  (fixtures)
    events,
    exceptions,
    ivr_app_fixture,  # noqa: F401
    languages,
    said,
    sign,
    twilio_fixture,  # noqa: F401
    verbs,
    world_fixture,  # noqa: F401
)

VOICE_URL = "https://genba.test/twilio/voice"

# ---------------------------------------------------------------- 1-3: entry, repeat, exit


def test_1_first_call_records_the_entry_with_no_key(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    [event] = events(db_session, worker_id=world.tanaka.id)
    assert (event.direction, event.source, event.site_id) == ("entry", "phone", world.site.id)
    assert event.caller_e164 == TANAKA
    assert event.occurred_at == MORNING
    # Confirmed in Japanese, name read from kana, time as said on site; then the call ends.
    assert verbs(root) == ["Gather", "Hangup"]
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert set(languages(root)) == {"ja-JP"}
    assert all(say.get("voice") for say in root.iter("Say"))
    assert "タナカ イチロウさん、7時45分、入場を記録しました。" in said(root)


def test_2_again_within_the_window_is_already_recorded(
    twilio: Twilio, world: World, db_session: Session, clock: Clock
) -> None:
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.advance(minutes=5)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    assert "タナカ イチロウさん、7時45分に記録済みです。" in said(root)


def test_3_after_the_window_the_exit_is_recorded(
    twilio: Twilio, world: World, db_session: Session, clock: Clock
) -> None:
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.advance(hours=9, minutes=15)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    directions = [e.direction for e in events(db_session, worker_id=world.tanaka.id)]
    assert directions == ["entry", "exit"]
    assert any("17時、退場を記録しました" in text for text in said(root))
    clock.advance(hours=1)  # back after leaving: a re-entry, recorded as an entry
    twilio.call(TANAKA, SITE_NUMBER).start()
    directions = [e.direction for e in events(db_session, worker_id=world.tanaka.id)]
    assert directions == ["entry", "exit", "entry"]


def test_an_overnight_shift_ends_with_the_next_mornings_call(
    twilio: Twilio, world: World, db_session: Session, clock: Clock, settings: Settings
) -> None:
    clock.now = MORNING.replace(hour=20, minute=0) - timedelta(days=1)
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.now = MORNING.replace(hour=5, minute=30)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "exit",
    ]
    assert any("昨日20時からの夜間作業" in text for text in said(root))


def test_a_card_touch_counts_for_the_repeat_window(
    twilio: Twilio, world: World, db_session: Session, settings: Settings
) -> None:
    record_event(
        db_session,
        external_id="nfc:reader1:1",
        source="nfc",
        site_id=world.site.id,
        worker_id=world.tanaka.id,
        occurred_at=MORNING - timedelta(minutes=3),
        tz=JST,
        card_uid="F:0123456789ABCDEF",
    )
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    assert "タナカ イチロウさん、7時42分に記録済みです。" in said(root)


# ---------------------------------------------------------------- 4: shared number


def test_4_unknown_dialed_number_asks_the_site_code(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SHARED_NUMBER)
    root = call.start()
    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather is not None and gather.get("finishOnKey") == "#"
    root = call.press(root, "9999#")  # wrong: asked again
    assert "その現場番号は見つかりませんでした" in said(root)[0]
    root = call.press(root, "1234#")
    [event] = events(db_session, worker_id=world.tanaka.id)
    assert event.site_id == world.site.id and event.direction == "entry"
    assert verbs(root) == ["Gather", "Hangup"]


def test_4_three_wrong_codes_end_the_call_politely(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SHARED_NUMBER)
    root = call.start()
    root = call.press(root, "0000#")
    root = call.silence(root)  # silence counts as a try
    root = call.press(root, "12#")
    assert verbs(root) == ["Say", "Hangup"]
    assert "お問い合わせください" in said(root)[0]
    assert events(db_session) == []


# ---------------------------------------------------------------- 5: unknown, withheld


def test_5_unknown_caller_records_the_attempt_not_a_work_event(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    stranger = "+819099998888"
    call = twilio.call(stranger, SITE_NUMBER)
    root = call.start()
    [attempt] = events(db_session)
    assert attempt.worker_id is None and attempt.caller_e164 == stranger
    assert attempt.direction is None and attempt.site_id == world.site.id
    [exc] = exceptions(db_session, "unknown_caller")
    assert exc.site_id == world.site.id and exc.event_id == attempt.id
    assert exc.detail["caller_e164"] == stranger
    # Japanese then English (who calls is not known); an offer to identify by CCUS id.
    assert languages(root)[:2] == ["ja-JP", "en-US"]
    root = call.silence(root)
    assert verbs(root) == ["Say", "Say", "Hangup"]
    assert db_session.scalar(select(func.count()).where(Event.worker_id.is_not(None))) == 0


@pytest.mark.parametrize("caller", ["anonymous", "+266696687", "", "Restricted"])
def test_5_withheld_caller_raises_withheld_caller(
    twilio: Twilio, world: World, db_session: Session, caller: str
) -> None:
    twilio.call(caller, SITE_NUMBER).start()
    [attempt] = events(db_session)
    assert attempt.worker_id is None and attempt.caller_e164 is None
    [exc] = exceptions(db_session, "withheld_caller")
    assert exc.site_id == world.site.id and exc.event_id == attempt.id


def test_5_withheld_caller_identifies_with_ccus_id_and_pin(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call("anonymous", SITE_NUMBER)
    root = call.start()
    root = call.press(root, "12345678901234#")
    root = call.press(root, "2468#")
    [recorded] = events(db_session, worker_id=world.tanaka.id)
    assert recorded.direction == "entry" and recorded.caller_e164 is None
    assert "タナカ イチロウさん、7時45分、入場を記録しました。" in said(root)
    [exc] = exceptions(db_session, "withheld_caller")
    assert exc.detail["identified_worker_id"] == world.tanaka.id
    assert exc.worker_id == world.tanaka.id  # the exception card names the worker


def test_5_pin_failures_lock_out_the_number_and_the_worker_id(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    stranger = "+819099998888"

    def attempt(call_pin: str) -> list[str]:
        call = twilio.call(stranger, SITE_NUMBER)
        root = call.start()
        for _ in range(3):
            if root.find("Gather") is None:
                break
            root = call.press(root, "12345678901234#")
            if root.find("Gather") is None:
                break
            root = call.press(root, call_pin)
        return said(root)

    first = attempt("0000#")  # three wrong PINs: the call ends
    assert any("暗証番号が違います" in text for text in first)
    attempt("1111#")  # two more failures reach the lock-out
    third = attempt("2468#")  # the right PIN no longer helps
    assert any("しばらくの間" in text for text in third)
    assert events(db_session, worker_id=world.tanaka.id) == []


# ---------------------------------------------------------------- 6: reject mode


def test_6_reject_mode_rejects_and_records(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    root = twilio.call(TANAKA, REJECT_NUMBER).start()
    assert verbs(root) == ["Reject"]
    [event] = events(db_session, worker_id=world.tanaka.id)
    assert event.site_id == world.reject_site.id and event.direction == "entry"


def test_6_reject_mode_still_answers_an_unknown_caller(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    root = twilio.call("+819099998888", REJECT_NUMBER).start()
    assert "Reject" not in verbs(root) and said(root)


# ---------------------------------------------------------------- 7: retries


def test_7_a_retried_webhook_records_nothing_twice(
    twilio: Twilio, world: World, db_session: Session, clock: Clock
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    first = twilio.post("/twilio/voice", call.params())
    clock.advance(seconds=4)
    again = twilio.post("/twilio/voice", call.params())
    assert again.data == first.data
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


def test_7_a_retried_gather_step_records_nothing_twice(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SHARED_NUMBER)
    call.start()
    first = twilio.post("/twilio/gather/1", call.params(Digits="1234#"))
    again = twilio.post("/twilio/gather/1", call.params(Digits="1234#"))
    assert again.data == first.data
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


# ---------------------------------------------------------------- signatures


def test_forged_or_missing_signature_gets_403_and_records_nothing(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    params = call.params()
    assert twilio.post("/twilio/voice", params, signature="forged").status_code == 403
    assert twilio.post("/twilio/voice", params, signature="").status_code == 403
    tampered = {**params, "From": "+819011110002"}
    assert (
        twilio.post("/twilio/voice", tampered, signature=sign(VOICE_URL, params)).status_code == 403
    )
    assert events(db_session) == []
    assert twilio.post("/twilio/voice", params).status_code == 200  # the control: signed
    assert len(events(db_session)) == 1


def test_the_host_header_is_never_what_is_signed(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    params = call.params()
    by_host = sign("https://evil.example/twilio/voice", params)
    response = twilio.post(
        "/twilio/voice",
        params,
        signature=by_host,
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert response.status_code == 403
    assert events(db_session) == []


def test_without_a_token_every_twilio_request_is_refused(
    settings: Settings,
    session_factory: sessionmaker[Session],
    world: World,
    db_session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(twilio_auth_token=None),
            "GENBA_SESSION_FACTORY": session_factory,
        }
    )
    caller = Twilio(app.test_client())
    call = caller.call(TANAKA, SITE_NUMBER)
    with caplog.at_level(logging.WARNING):
        for path in ("/twilio/voice", "/twilio/gather/1", "/twilio/status", "/twilio/fallback"):
            assert caller.post(path, call.params()).status_code == 403
    assert "TWILIO_AUTH_TOKEN is not set" in caplog.text
    assert events(db_session) == []


def test_a_signature_of_the_url_with_its_default_port_is_accepted_too(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    """Twilio may sign `https://host:443/…` for `https://host/…` (twilio's `validate` tries
    both); the URL as signed here is checked first, the other forms only when it fails."""
    call = twilio.call(TANAKA, SITE_NUMBER)
    params = call.params(CallStatus="ringing")
    with_port = sign("https://genba.test:443/twilio/voice", params)
    assert twilio.post("/twilio/voice", params, signature=with_port).status_code == 200
    other = sign("https://genba.test:8443/twilio/voice", params)
    assert (
        twilio.post("/twilio/voice", {**params, "CallSid": "CA" + "9" * 32}, other).status_code
        == 403
    )
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


def test_a_field_sent_twice_is_signed_with_both_values(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    """Twilio's signature covers every value of a repeated field (twilio's validator reads a
    MultiDict's values): both as signed → accepted; one of them changed → 403."""
    call = twilio.call(TANAKA, SITE_NUMBER)
    signed = MultiDict([*call.params().items(), ("Forwarded", "a"), ("Forwarded", "b")])
    signature = RequestValidator(TWILIO_TEST_TOKEN).compute_signature(VOICE_URL, signed)
    changed = MultiDict([*call.params().items(), ("Forwarded", "a"), ("Forwarded", "c")])
    headers = {"X-Twilio-Signature": signature}
    assert twilio.client.post("/twilio/voice", data=changed, headers=headers).status_code == 403
    assert events(db_session) == []
    assert twilio.client.post("/twilio/voice", data=signed, headers=headers).status_code == 200
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


def test_webhooks_open_no_cookie_session(ivr_app: Flask) -> None:
    """The admin UI's signed-cookie session is not even opened for a webhook."""
    for path, opened in (("/twilio/voice", False), ("/vonage/answer", False), ("/admin/", True)):
        with ivr_app.test_request_context(path, method="POST"):
            assert isinstance(flask.session, NullSession) is not opened, path


# ---------------------------------------------------------------- status and fallback


def test_status_callbacks_keep_the_call_log(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    call.start()
    for status, duration in (("in-progress", None), ("completed", "7")):
        extra = {"CallStatus": status} | ({"CallDuration": duration} if duration else {})
        assert twilio.post("/twilio/status", call.params(**extra)).status_code == 200
    [log_row] = db_session.scalars(select(CallLog)).all()
    assert (log_row.status, log_row.duration_s, log_row.outcome) == ("completed", 7, "entry")
    assert log_row.site_id == world.site.id and log_row.worker_id == world.tanaka.id
    assert log_row.from_e164 == TANAKA


def test_fallback_answers_the_failed_step(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    params = call.params(ErrorCode="11200", ErrorUrl="https://genba.test/twilio/voice")
    response = twilio.post("/twilio/fallback", params)
    assert response.status_code == 200
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    # The primary answer, had it arrived late, is the same: nothing twice.
    again = twilio.post("/twilio/voice", call.params())
    assert again.data == response.data
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


def test_a_concurrent_duplicate_delivery_records_once(
    settings: Settings, committed_app: Flask, redis_conn: object
) -> None:
    """Two deliveries of one webhook at the same moment, on real commits."""
    import threading

    from workers_db.db import make_engine, make_session_factory

    from .ivr_support import build_world

    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    with factory() as session:
        build_world(session)
    call_params = Twilio(committed_app.test_client()).call(TANAKA, SITE_NUMBER).params()
    barrier = threading.Barrier(4)
    answers: list[bytes] = []

    def deliver() -> None:
        caller = Twilio(committed_app.test_client())
        barrier.wait()
        answers.append(caller.post("/twilio/voice", call_params).data)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with factory() as session:
        recorded = session.scalars(select(Event).where(Event.worker_id.is_not(None))).all()
    engine.dispose()
    assert len(recorded) == 1
    assert len(set(answers)) == 1


def test_linking_the_number_gives_the_worker_the_unknown_callers_attempt(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    """The office links the number (workers_db.enrollment): the attempt becomes a work event
    and the unknown_caller exception is resolved."""
    from workers_db.enrollment import link_phone

    stranger = "+819099998888"
    twilio.call(stranger, SITE_NUMBER).start()
    link_phone(db_session, stranger, world.tanaka.id, actor="office")
    [event] = events(db_session, caller_e164=stranger)
    assert event.worker_id == world.tanaka.id
    [exc] = exceptions(db_session, "unknown_caller")
    assert exc.status == "resolved"
