"""Whatever JSON a holder of the Vonage secret sends (garbage numbers, long strings, wrong
types, nested junk, no body at all), the Vonage webhooks answer without a 5xx, every answer
is an NCCO, and no work event is recorded for a worker who did not call."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import Event

from .ivr_support import (
    SHARED_NUMBER,
    SITE_NUMBER,
    TANAKA,
    World,
    clock_fixture,  # noqa: F401  (fixtures)
    ivr_app_fixture,  # noqa: F401
    world_fixture,  # noqa: F401
)
from .vonage_support import Vonage, vonage_fixture  # noqa: F401

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
long_texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=5_000, max_size=6_000)
junk: st.SearchStrategy[Any] = st.one_of(
    texts, long_texts, st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
    st.lists(texts, max_size=3), st.dictionaries(texts, texts, max_size=3),
)  # fmt: skip
numbers = st.one_of(
    junk,
    st.from_regex(r"[0-9]{0,16}", fullmatch=True),
    st.sampled_from(["Unknown", "", "81", "819099998888", SITE_NUMBER[1:], SHARED_NUMBER[1:]]),
)
bodies = st.one_of(
    junk,
    st.fixed_dictionaries(
        {},
        optional={
            "uuid": st.one_of(junk, st.uuids().map(str)),
            "from": numbers,
            "to": st.one_of(numbers, st.sampled_from([SITE_NUMBER[1:], SHARED_NUMBER[1:]])),
            "conversation_uuid": junk,
            "dtmf": st.one_of(junk, st.fixed_dictionaries({"digits": junk, "timed_out": junk})),
            "status": junk,
        },
    ),
)
paths = st.one_of(
    st.sampled_from(["/vonage/answer", "/vonage/event"]),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"/vonage/input/{n}"),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=paths, body=bodies)
def test_signed_garbage_never_5xx_and_never_records_a_work_event(
    vonage: Vonage, world: World, db_session: Session, path: str, body: Any
) -> None:
    if isinstance(body, dict) and body.get("from") == TANAKA[1:]:
        body["from"] = "819099998888"  # a registered worker calling is not garbage
    response = vonage.post(path, body)
    assert response.status_code in (200, 204), response.data
    if response.status_code == 200:
        assert isinstance(json.loads(response.data), list)
    db_session.expire_all()
    workers = select(func.count()).where(Event.worker_id.is_not(None))
    assert db_session.scalar(workers) == 0
