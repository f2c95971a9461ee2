"""Touch intake on SQLite (the embedded default): `record_touches`' portable form gives the
answers the PostgreSQL statement gives (tests/test_nfc_api.py pins those on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.changes import take_marks
from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.models import Event, Site, WorkException
from workers_db.registration import create_company, create_site, create_worker
from workers_db.touch_intake import ingest_touches

TOKYO = ZoneInfo("Asia/Tokyo")
CARD = "F:0123456789ABCDEF"
UNKNOWN = "F:FFFFFFFFFFFFFFFF"


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[tuple[Session, Site]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'genba.db'}")
    upgrade(engine)
    with Session(engine) as session:
        prime = create_company(session, "元請建設")
        site = create_site(session, "現場", "1234", prime.id)
        create_worker(session, "山田 太郎", prime.id, card_uids=[CARD])
        session.commit()
        yield session, site
    engine.dispose()


def touch(event_id: str, card: str = CARD) -> dict[str, Any]:
    return {"event_id": event_id, "card_uid": card, "occurred_at": "2025-04-01T07:45:00+09:00"}


def test_portable_form_accepts_counts_duplicates_and_rejects_as_postgresql(
    sqlite_site: tuple[Session, Site],
) -> None:
    session, site = sqlite_site
    first = ingest_touches(
        session,
        site_id=site.id,
        device="reader-1",
        items=[
            touch("a"),
            touch("b", UNKNOWN),
            {**touch("c"), "clock_synced": False},
            touch("a"),  # the same touch twice in the batch: a duplicate
            {"event_id": "d"},  # no card
        ],
        tz=TOKYO,
    )
    assert (first.accepted, first.duplicates) == (3, 1)
    assert [r["error"] for r in first.rejected] == ["card_uid_missing"]
    assert first.workers == {"a": "山田 太郎", "b": None, "c": "山田 太郎"}
    assert take_marks(session) == {(site.id, date(2025, 4, 1))}
    session.commit()

    again = ingest_touches(
        session,
        site_id=site.id,
        device="reader-1",
        items=[touch("a"), touch("b", UNKNOWN), touch("c", UNKNOWN)],  # c: another card
        tz=TOKYO,
    )
    assert (again.accepted, again.duplicates) == (0, 2)
    assert [(r["event_id"], r["error"]) for r in again.rejected] == [("c", "event_id_reused")]
    assert take_marks(session) == set()
    events = session.scalars(select(Event).order_by(Event.id)).all()
    assert [(e.external_id, e.card_uid, e.clock_synced) for e in events] == [
        ("nfc:a", CARD, True),
        ("nfc:b", UNKNOWN, True),
        ("nfc:c", CARD, False),
    ]
    kinds = sorted(e.kind for e in session.scalars(select(WorkException)))
    assert kinds == ["clock_unsynced", "unknown_card"]
