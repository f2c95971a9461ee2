"""The per-caller rate limit on Vonage's answer webhook (`voice_app.ratelimit`): a new call of a
caller over the limit gets an empty NCCO (the call ends at once) and records nothing; another
caller is answered as usual; Twilio and Vonage calls of one caller share one count; a retried
answer webhook of the same call is not counted; later steps of an admitted call are never
limited."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Flask
from sqlalchemy.orm import Session

from .abuse_support import (
    CALLS_PER_CALLER,
    WITHHELD_PER_NUMBER,
    limited_app_fixture,  # noqa: F401
    limited_fixture,  # noqa: F401
    recorded,
)
from .ivr_support import (
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    clock_fixture,  # noqa: F401
    events,
    verbs,
    world_fixture,  # noqa: F401
)
from .vonage_support import Vonage, talked

FLOOD = "+819077770000"


def test_a_vonage_caller_over_the_limit_gets_an_empty_ncco_and_nothing_is_recorded(
    limited_app: Flask, world: World, db_session: Session, clock: Clock
) -> None:
    vonage = Vonage(limited_app.test_client(), clock)
    for _ in range(CALLS_PER_CALLER):
        assert vonage.call(FLOOD, SITE_NUMBER).start() != []
    before = recorded(db_session)
    assert vonage.call(FLOOD, SITE_NUMBER).start() == []
    assert recorded(db_session) == before  # no event, call step or exception
    # Another caller from the same address: answered and recorded as usual.
    assert "入場を記録しました" in " ".join(talked(vonage.call(TANAKA, SITE_NUMBER).start()))
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1


def test_twilio_and_vonage_calls_of_one_caller_share_the_count(
    limited_app: Flask, limited: Twilio, world: World, clock: Clock
) -> None:
    vonage = Vonage(limited_app.test_client(), clock)
    for n in range(CALLS_PER_CALLER):
        if n % 2:
            assert vonage.call(FLOOD, SITE_NUMBER).start() != []
        else:
            response = limited.post("/twilio/voice", limited.call(FLOOD, SITE_NUMBER).params())
            assert verbs(ET.fromstring(response.data)) != ["Reject"]
    assert vonage.call(FLOOD, SITE_NUMBER).start() == []
    response = limited.post("/twilio/voice", limited.call(FLOOD, SITE_NUMBER).params())
    assert verbs(ET.fromstring(response.data)) == ["Reject"]


def test_a_retried_answer_webhook_and_later_steps_are_not_counted(
    limited_app: Flask, world: World, db_session: Session, clock: Clock
) -> None:
    vonage = Vonage(limited_app.test_client(), clock)
    call = vonage.call(TANAKA, SITE_NUMBER)
    for _ in range(CALLS_PER_CALLER + 3):  # Vonage retrying one call's answer webhook
        assert call.start() != []
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    # The limit reached by other calls leaves an admitted call's later steps alone.
    asked = vonage.call(FLOOD, SITE_NUMBER)  # not registered: asked for the CCUS id
    first = asked.start()
    assert any(action["action"] == "input" for action in first)
    for _ in range(CALLS_PER_CALLER - 1):
        vonage.call(FLOOD, SITE_NUMBER).start()
    assert vonage.call(FLOOD, SITE_NUMBER).start() == []
    assert talked(asked.silence(first))  # the admitted call goes on: asked again, not ended


def test_withheld_vonage_callers_are_counted_per_dialed_number(
    limited_app: Flask, world: World, clock: Clock
) -> None:
    vonage = Vonage(limited_app.test_client(), clock)
    for _ in range(WITHHELD_PER_NUMBER):
        assert vonage.call("Unknown", SITE_NUMBER).start() != []
    assert vonage.call("Unknown", SITE_NUMBER).start() == []
    assert vonage.call(TANAKA, SITE_NUMBER).start() != []  # shown numbers are not affected
