"""POST /api/v1/touches on real PostgreSQL and Redis: validation per event, idempotency on the
event id, unknown cards, unsynchronized clocks, site scoping of device tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.deferred import flush_deferred
from jobs.queue import reconcile_job_id
from workers_db.models import Event, Site, WorkException

from .helpers import bearer
from .nfc_support import CARD, UNKNOWN_IDM, NfcSite, nfc_site_fixture  # noqa: F401

MORNING = "2025-04-01T07:45:00+09:00"


def touch(card: str = CARD, at: str = MORNING, **extra: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "card_uid": card, "occurred_at": at, **extra}


def post(client: FlaskClient, token: str | None, body: Any) -> Any:
    headers = bearer(token) if token else {}
    return client.post("/api/v1/touches", json=body, headers=headers)


def events_of(session: Session, site: Site) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.site_id == site.id).order_by(Event.id)))


def test_touches_are_stored_once_with_worker_names(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite, redis_conn: Redis
) -> None:
    known = touch(seq=1)
    unknown = touch(card=f"f:{UNKNOWN_IDM.lower()}", seq=2)
    answer = post(client, nfc_site.token, {"events": [known, unknown]})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, [])
    assert body["workers"] == {known["event_id"]: "山田 太郎", unknown["event_id"]: None}

    stored = events_of(db_session, nfc_site.site)
    assert [
        (e.external_id, e.worker_id, e.card_uid, e.source, e.device, e.seq) for e in stored
    ] == [
        (f"nfc:{known['event_id']}", nfc_site.worker.id, CARD, "nfc", "reader-1", 1),
        (f"nfc:{unknown['event_id']}", None, f"F:{UNKNOWN_IDM}", "nfc", "reader-1", 2),
    ]
    assert stored[0].work_date == date(2025, 4, 1)
    problem = db_session.scalars(
        select(WorkException).where(WorkException.kind == "unknown_card")
    ).one()
    assert problem.detail["card_uid"] == f"F:{UNKNOWN_IDM}"
    assert problem.detail["raw_card_uid"] == f"f:{UNKNOWN_IDM.lower()}"
    assert problem.event_id == stored[1].id and problem.status == "open"
    db_session.refresh(nfc_site.site)
    assert nfc_site.site.reader_present and nfc_site.site.reader_last_upload_at is not None
    flush_deferred()
    assert redis_conn.exists(f"rq:job:{reconcile_job_id(nfc_site.site.id, date(2025, 4, 1))}")

    again = post(client, nfc_site.token, {"events": [known, unknown]}).get_json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert again["workers"][known["event_id"]] == "山田 太郎"
    assert len(events_of(db_session, nfc_site.site)) == 2


def test_bad_events_are_rejected_and_good_ones_kept(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite
) -> None:
    good = [touch(), touch(at="2025-04-01T17:30:00Z")]
    bad: list[Any] = [
        touch(card="XYZ"),
        touch(at="2025-04-01 07:45"),
        touch(at="yesterday"),
        {"card_uid": CARD, "occurred_at": MORNING},
        touch(seq=-1),
        touch(clock_synced="yes"),
        "not an object",
    ]
    body = post(client, nfc_site.token, {"events": [good[0], *bad, good[1]]}).get_json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    errors = {r["index"]: r["error"] for r in body["rejected"]}
    assert errors == {
        1: "card_uid_invalid",
        2: "occurred_at_no_offset",
        3: "occurred_at_invalid",
        4: "event_id_invalid",
        5: "seq_invalid",
        6: "clock_synced_invalid",
        7: "not_an_object",
    }
    messages = {r["index"]: r["message"] for r in body["rejected"]}
    assert messages[1].startswith("card_uid:") and "UTC offset" in messages[2]
    assert body["rejected"][0]["event_id"] == bad[0]["event_id"]
    stored = {e.external_id for e in events_of(db_session, nfc_site.site)}
    assert stored == {f"nfc:{g['event_id']}" for g in good}


def test_an_event_id_cannot_be_reused_for_another_touch(
    client: FlaskClient, nfc_site: NfcSite
) -> None:
    first = touch()
    post(client, nfc_site.token, {"events": [first]})
    reused = {**first, "card_uid": f"F:{UNKNOWN_IDM}"}
    body = post(client, nfc_site.token, {"events": [reused]}).get_json()
    assert body["accepted"] == 0 and body["duplicates"] == 0
    assert body["rejected"][0]["error"] == "event_id_reused"


def test_unsynced_clocks_are_flagged_not_dropped(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite
) -> None:
    wrong = touch(at="2019-06-01T00:00:05Z", clock_synced=False)  # before 2000: rejected
    ahead = (datetime.now(UTC) + timedelta(hours=3)).isoformat()  # a day or more: rejected
    future = touch(at=ahead, clock_synced=True)
    fine = touch(clock_synced=True)
    body = post(client, nfc_site.token, {"events": [wrong, future, fine]}).get_json()
    assert body["accepted"] == 3
    synced = {e.external_id: e.clock_synced for e in events_of(db_session, nfc_site.site)}
    assert synced == {
        f"nfc:{wrong['event_id']}": False,
        f"nfc:{future['event_id']}": False,
        f"nfc:{fine['event_id']}": True,
    }
    flagged = db_session.scalars(
        select(WorkException).where(WorkException.kind == "clock_unsynced")
    ).all()
    assert {f.detail["device"] for f in flagged} == {"reader-1"}
    assert len(flagged) == 2  # one per reader and day (2019-06-01 and the future day)


def test_tokens_are_checked(client: FlaskClient, nfc_site: NfcSite) -> None:
    body = {"events": [touch()]}
    assert post(client, None, body).status_code == 401
    assert post(client, "gc_not-a-token", body).status_code == 401
    assert post(client, nfc_site.admin_token, body).status_code == 403
    claims_other = {**body, "site_code": nfc_site.site.site_code}
    answer = post(client, nfc_site.other_token, claims_other)
    assert answer.status_code == 403
    assert "this device token is for site" in answer.get_json()["errors"][0]["message"]
    assert post(client, nfc_site.token, claims_other).status_code == 200


def test_batch_shape_is_checked(client: FlaskClient, nfc_site: NfcSite) -> None:
    too_many = post(client, nfc_site.token, {"events": [touch() for _ in range(1001)]})
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"][0]["field"] == "events"
    assert post(client, nfc_site.token, {"touches": []}).status_code == 422
    raw = client.post("/api/v1/touches", data="nope", headers=bearer(nfc_site.token))
    assert raw.status_code == 422
    empty = post(client, nfc_site.token, {"events": []}).get_json()
    assert empty == {"accepted": 0, "duplicates": 0, "rejected": [], "workers": {}}


def test_repeats_within_a_batch_and_across_batches(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite
) -> None:
    once, twice = touch(), touch()
    repeated = {**twice, "card_uid": f"F:{UNKNOWN_IDM}"}  # the same id, another card
    body = post(client, nfc_site.token, {"events": [once, twice, once, repeated]}).get_json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [(3, "event_id_repeated")]
    later = touch()
    again = post(client, nfc_site.token, {"events": [twice, later, once]}).get_json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (1, 2, [])
    assert set(again["workers"]) == {once["event_id"], twice["event_id"], later["event_id"]}
    assert len(events_of(db_session, nfc_site.site)) == 3


def test_a_batch_of_unknown_cards_without_seq(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite
) -> None:
    """No worker and no `seq` anywhere in the batch: the columns that go to PostgreSQL hold
    nothing but NULLs."""
    other = "F:00000000000000AA"
    events = [touch(card=f"F:{UNKNOWN_IDM}"), touch(card=other), touch(card=other)]
    body = post(client, nfc_site.token, {"events": events}).get_json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 0, [])
    assert set(body["workers"].values()) == {None}
    stored = events_of(db_session, nfc_site.site)
    assert [(e.worker_id, e.seq) for e in stored] == [(None, None)] * 3
    raised = db_session.scalars(
        select(WorkException.detail).where(WorkException.kind == "unknown_card")
    ).all()
    assert sorted(d["card_uid"] for d in raised) == sorted([f"F:{UNKNOWN_IDM}", other])
