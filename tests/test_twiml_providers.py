"""TwiML-compatible providers: SignalWire's signature header behind GENBA_TWIML_SIGNATURE."""

from __future__ import annotations

import pytest
from flask import Flask
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
