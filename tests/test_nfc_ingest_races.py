"""POST /api/v1/touches against concurrent transactions, with real commits: a touch raced by
another request is stored once and counted (or refused) by what the winner stored, and an
upload never waits for another upload's site or token row.

The races are set up with a second connection that holds what a concurrent request would
hold (an uncommitted event, a locked row); the upload runs in a thread, and the test looks at
PostgreSQL's own view (`pg_stat_activity`) to know when the upload waits for that connection.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from workers_db.models import ApiToken, Event, Site

from .helpers import bearer
from .nfc_support import CARD, UNKNOWN_IDM, NfcSite, committed_site_fixture  # noqa: F401

MORNING = "2025-04-01T07:45:00+09:00"
WAIT_S = 30  # only a hang runs into it


def touch(card: str = CARD, event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or str(uuid.uuid4()), "card_uid": card, "occurred_at": MORNING}


class Upload(threading.Thread):
    """One POST /api/v1/touches in a thread of its own; `answer` once it is done."""

    def __init__(self, app: Flask, token: str, events: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.app, self.token, self.events = app, token, events
        self.answer: dict[str, Any] | None = None

    def run(self) -> None:
        reply = self.app.test_client().post(
            "/api/v1/touches", json={"events": self.events}, headers=bearer(self.token)
        )
        assert reply.status_code == 200, reply.get_json()
        self.answer = reply.get_json()


def app_waits_for_a_lock(engine: Engine) -> bool:
    """Whether a backend of this database is waiting for a lock (the upload's).  Asked on a
    connection of its own, each time anew: a transaction sees one snapshot of these figures."""
    with engine.connect() as probe:
        return bool(
            probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never came"
        time.sleep(0.01)


@pytest.fixture
def holder(committed_db: Engine) -> Iterator[Connection]:
    """A second connection, as a concurrent request's; rolled back if the test leaves it open."""
    with committed_db.connect() as conn:
        yield conn
        conn.rollback()


def stored_event(site: NfcSite, event_id: str, card: str) -> dict[str, Any]:
    return {
        "external_id": f"nfc:{event_id}",
        "source": "nfc",
        "site_id": site.site.id,
        "worker_id": None,
        "occurred_at": datetime(2025, 3, 31, 22, 45, tzinfo=UTC),
        "work_date": datetime(2025, 4, 1).date(),
        "card_uid": card,
        "device": "reader-1",
        "clock_synced": True,
        "received_at": datetime.now(UTC),
    }


@pytest.mark.parametrize(
    ("winner_card", "outcome"),
    [(CARD, "duplicate"), (f"F:{UNKNOWN_IDM}", "event_id_reused")],
)
def test_a_touch_raced_by_another_request_is_judged_by_what_the_winner_stored(
    committed_app: Flask,
    committed_db: Engine,
    committed_site: tuple[NfcSite, sessionmaker[Session]],
    holder: Connection,
    winner_card: str,
    outcome: str,
) -> None:
    site, factory = committed_site
    raced, fresh = touch(), touch()
    holder.execute(insert(Event), stored_event(site, raced["event_id"], winner_card))
    upload = Upload(committed_app, site.token, [fresh, raced])
    upload.start()
    until(lambda: app_waits_for_a_lock(committed_db))  # its insert waits for the uncommitted row
    holder.commit()
    upload.join(WAIT_S)
    answer = upload.answer
    assert answer is not None
    assert answer["accepted"] == 1
    if outcome == "duplicate":
        assert (answer["duplicates"], answer["rejected"]) == (1, [])
        assert answer["workers"][raced["event_id"]] == "山田 太郎"
    else:
        assert answer["duplicates"] == 0
        assert [(r["index"], r["error"]) for r in answer["rejected"]] == [(1, "event_id_reused")]
        assert raced["event_id"] not in answer["workers"]
    with factory() as session:
        cards = session.scalars(
            select(Event.card_uid).where(Event.external_id == f"nfc:{raced['event_id']}")
        ).all()
        assert cards == [winner_card]  # the winner's row, stored once


def test_concurrent_uploads_of_one_batch_store_each_touch_once(
    committed_app: Flask, committed_site: tuple[NfcSite, sessionmaker[Session]]
) -> None:
    site, factory = committed_site
    batch = [touch() for _ in range(40)] + [touch(f"F:{UNKNOWN_IDM}") for _ in range(10)]
    uploads = [Upload(committed_app, site.token, batch) for _ in range(4)]
    for upload in uploads:
        upload.start()
    for upload in uploads:
        upload.join(WAIT_S)
    answers = [u.answer for u in uploads]
    assert all(a is not None and a["rejected"] == [] for a in answers)
    assert sum(a["accepted"] for a in answers if a) == 50
    assert all(a["accepted"] + a["duplicates"] == 50 for a in answers if a)
    with factory() as session:
        stored = session.scalar(select(func.count()).where(Event.site_id == site.site.id))
        assert stored == 50


@pytest.mark.parametrize("held", [Site, ApiToken])
def test_an_upload_does_not_wait_for_a_held_site_or_token_row(
    committed_app: Flask,
    committed_db: Engine,
    committed_site: tuple[NfcSite, sessionmaker[Session]],
    holder: Connection,
    held: type[Site] | type[ApiToken],
) -> None:
    """The row every upload of the site writes (the reader's contact, the token's last use) is
    held by a concurrent transaction: the upload stores its touches without waiting for it, and
    leaves that transaction's write in place."""
    site, factory = committed_site
    with factory() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.device_name == "reader-1"))
    row_id = site.site.id if held is Site else token_id
    holder.execute(select(held.id).where(held.id == row_id).with_for_update(key_share=True))
    upload = Upload(committed_app, site.token, [touch()])
    upload.start()
    until(lambda: upload.answer is not None or app_waits_for_a_lock(committed_db))
    assert not app_waits_for_a_lock(committed_db), "the upload waits for the held row"
    upload.join(WAIT_S)
    assert upload.answer is not None and upload.answer["accepted"] == 1
    holder.rollback()
    with factory() as session:
        reader = session.get(Site, site.site.id)
        token = session.get(ApiToken, token_id)
        assert reader is not None and token is not None
        assert (reader.reader_last_upload_at is None) == (held is Site)
        assert (token.last_used_at is None) == (held is ApiToken)
    again = Upload(committed_app, site.token, [touch()])
    again.run()  # nothing held now: both rows are written
    with factory() as session:
        reader, token = session.get(Site, site.site.id), session.get(ApiToken, token_id)
        assert reader is not None and reader.reader_last_upload_at is not None
        assert token is not None and token.last_used_at is not None
