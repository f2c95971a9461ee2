"""TwiML-compatible providers: SignalWire's signature header behind GENBA_TWIML_SIGNATURE."""

from __future__ import annotations

import hypothesis
import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker
from twilio.twiml.voice_response import VoiceResponse

from voice_app import create_app
from voice_app.twilio.twiml import as_text
from workers_db.settings import ConfigError, Settings

from .conftest import PUBLIC_BASE_URL
from .ivr_support import (  # noqa: F401
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    clock_fixture,
    events,
    sign,
    world_fixture,
)


@pytest.fixture
def signalwire_app(
    settings: Settings, session_factory: sessionmaker[Session], clock: Clock
) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(twiml_signature="signalwire"),
            "GENBA_SESSION_FACTORY": session_factory,
            "GENBA_CLOCK": clock,
        }
    )


def test_signalwire_signs_in_its_own_header(
    signalwire_app: Flask, world: object, db_session: Session
) -> None:
    client = signalwire_app.test_client()
    call = Twilio(client).call(TANAKA, SITE_NUMBER)
    params = call.params()
    good = sign(PUBLIC_BASE_URL + "/twilio/voice", params)
    forged = client.post(
        "/twilio/voice", data=params, headers={"X-SignalWire-Signature": "AAAA" + good[4:]}
    )
    assert forged.status_code == 403 and events(db_session) == []
    answer = client.post("/twilio/voice", data=params, headers={"X-SignalWire-Signature": good})
    assert answer.status_code == 200 and len(events(db_session)) == 1


def test_an_unknown_signature_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="GENBA_TWIML_SIGNATURE"):
        Settings.from_env({"GENBA_TWIML_SIGNATURE": "telnyx", "GENBA_INSTANCE": "/tmp/x"})
    assert Settings.from_env({"GENBA_INSTANCE": "/tmp/x"}).twiml_signature == "twilio"


def test_twiml_as_text_is_the_document_twilio_writes() -> None:
    """`as_text` (the answers' serializer) gives exactly `str(response)` (twilio's `to_xml`)."""
    response = VoiceResponse()
    gather = response.gather(
        action="/twilio/gather/1?a=1&b=<2>", method="POST", num_digits=1, finish_on_key=""
    )
    gather.say('タナカ イチロウさん、7時45分 & "<入場>"', language="ja-JP", voice="Google.ja-JP")
    gather.say("Press 9 to correct it.\n\t", language="en-US", voice="Polly.Joanna")
    response.redirect("/twilio/gather/1", method="POST")
    response.hangup()
    rejected = VoiceResponse()
    rejected.reject(reason="busy")
    for answer in (response, rejected, VoiceResponse()):
        assert as_text(answer) == str(answer)


_TEXT = st.text(alphabet=st.sampled_from("aZ9 あ入場&<>\"'\r\n\t;#/=?"), max_size=12)


@hypothesis.settings(max_examples=200, deadline=None)
@given(
    said=st.lists(st.tuples(_TEXT, _TEXT), max_size=3),
    action=_TEXT,
    digits=st.one_of(st.none(), st.integers(0, 99), st.booleans(), _TEXT),
    redirect=st.one_of(st.none(), _TEXT),
    gathered=st.booleans(),
)
def test_as_text_writes_every_answer_as_twilio_does(
    said: list[tuple[str, str]],
    action: str,
    digits: int | bool | str | None,
    redirect: str | None,
    gathered: bool,
) -> None:
    """Any text in values and attributes (XML's specials, line breaks, tabs, kana), booleans
    and numbers, empty and nested verbs: `as_text` and `str(response)` agree."""
    response = VoiceResponse()
    target = (
        response.gather(action=action, num_digits=digits, finish_on_key="")
        if gathered
        else response
    )
    for text, language in said:
        target.say(text, language=language or None)
    if redirect is not None:
        response.redirect(redirect, method="POST")
    response.hangup()
    assert as_text(response) == str(response)


def test_as_text_refuses_a_bare_string_it_would_not_write_as_twilio_does() -> None:
    response = VoiceResponse()
    response.append("text between verbs")
    with pytest.raises(TypeError):
        as_text(response)
