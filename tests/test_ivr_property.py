"""Whatever Twilio (or anyone holding the token) sends, the webhooks answer without a 5xx and
never record a work event for a worker who did not call: garbage numbers, 10,000-character
fields, any unicode, missing fields, on every /twilio/* URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import Event

from .ivr_support import (
    PUBLIC_BASE_URL,
    SHARED_NUMBER,
    SITE_NUMBER,
    TANAKA,
    Twilio,
    World,
    clock_fixture,  # noqa: F401  (fixtures)
    ivr_app_fixture,  # noqa: F401
    sign,
    twilio_fixture,  # noqa: F401
    world_fixture,  # noqa: F401
)

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
long_texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=9_000, max_size=10_000)
numbers = st.one_of(
    texts,
    long_texts,
    st.from_regex(r"\+?[0-9０-９\-() ]{0,20}", fullmatch=True),
    st.sampled_from(["anonymous", "+266696687", "", "Restricted", "+81", "+819099998888"]),
)
dialled = st.one_of(numbers, st.sampled_from([SITE_NUMBER, SHARED_NUMBER]))
call_sids = st.one_of(
    texts, long_texts, st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True), st.just("CA" + "1" * 32)
)
digits = st.one_of(texts, long_texts, st.from_regex(r"[0-9*#]{0,30}", fullmatch=True))
paths = st.one_of(
    st.sampled_from(["/twilio/voice", "/twilio/status", "/twilio/fallback"]),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"/twilio/gather/{n}"),
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "CallSid": call_sids,
        "From": numbers,
        "To": dialled,
        "Digits": digits,
        "CallStatus": texts,
        "CallDuration": st.one_of(texts, st.integers().map(str)),
        "ErrorUrl": st.one_of(
            texts, st.sampled_from([PUBLIC_BASE_URL + "/twilio/gather/3", "http://[::1/gather/2"])
        ),
        "Extra" + "x" * 50: long_texts,
    },
)


def _worker_events(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Event.worker_id.is_not(None))) or 0)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=paths, params=fields)
@example(path="/twilio/fallback", params={"CallSid": "CA" + "2" * 32, "ErrorUrl": "http://[::1/x"})
@example(path="/twilio/gather/7", params={"CallSid": "CA" + "2" * 32, "Digits": "1" * 10_000})
def test_malformed_webhooks_never_5xx_and_never_record_a_work_event(
    twilio: Twilio, world: World, db_session: Session, path: str, params: dict[str, str]
) -> None:
    if params.get("From") == TANAKA:  # a registered worker calling is not malformed
        params["From"] = "+819099998888"
    response = twilio.post(path, params)
    assert response.status_code < 500
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
        assert ET.fromstring(response.data).tag == "Response"
    assert _worker_events(db_session) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=2_000))
def test_a_body_that_is_no_form_is_answered_too(
    twilio: Twilio, world: World, db_session: Session, body: bytes
) -> None:
    url = PUBLIC_BASE_URL + "/twilio/voice"
    response = twilio.client.post(
        "/twilio/voice",
        data=body,
        content_type="application/octet-stream",
        headers={"X-Twilio-Signature": sign(url, {})},
    )
    assert response.status_code < 500
    assert _worker_events(db_session) == 0
