"""Card touches from reader agents (and imported reader logs) into raw events.

Each event of a batch is checked on its own: a bad one is rejected with its reason and the good
ones are kept.  The agent's `event_id` is the idempotency key (`Event.external_id =
"nfc:{event_id}"`): the batch is inserted with `ON CONFLICT (external_id) DO NOTHING`, so a
re-sent batch, or two racing requests, store each touch once and count the rest as
duplicates (`workers_db.intake.record_touches`).  A card nobody owns is stored with
`worker_id` NULL and its `card_uid`, and raises one `unknown_card` exception per site and
card (showing the id exactly as received); a touch read with an unsynchronized clock raises
one `clock_unsynced` per reader and day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.intake import raise_exception, record_touches, work_date_of
from workers_db.models import Card, Event, Site, Worker, utcnow
from workers_db.touch_validation import Rejection, TouchIn, validate_touch

EXTERNAL_PREFIX = "nfc:"
# A "synced" reader whose clock is further ahead of ours than this, or earlier than the floor,
# is flagged as unsynced all the same (its touches are kept, and the office looks at them).
FUTURE_TOLERANCE = timedelta(hours=1)
PLAUSIBLE_FLOOR = datetime(2020, 1, 1, tzinfo=UTC)
EVENT_ID_REUSED = Rejection("event_id_reused", "event_id: already used by another touch")
EVENT_ID_REPEATED = Rejection("event_id_repeated", "event_id: used twice in this batch")


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # event_id → worker name (None: the card is not registered) for accepted and duplicates
    workers: dict[str, str | None] = field(default_factory=dict)
    days: set[tuple[int, date]] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "workers": self.workers,
        }


def ingest_touches(
    session: Session,
    *,
    site: Site,
    device: str,
    items: Sequence[Any],
    tz: ZoneInfo,
    now: datetime | None = None,
    reader_contact: bool = True,
) -> IngestResult:
    """Validate and store one batch for `site` (from the device token, never the body).
    `reader_contact`: the batch came from the site's reader itself (an import does not), so
    the site's reader counts as active (稼働)."""
    now = now or utcnow()
    result = IngestResult()
    touches = _valid_unique(items, result, now)
    if touches:
        existing = _existing(session, [t.event_id for t in touches])
        owners = _owners(session, {t.card_uid for t in touches})
        fresh: list[TouchIn] = []
        for touch in touches:
            prior = existing.get(EXTERNAL_PREFIX + touch.event_id)
            if prior is None:
                fresh.append(touch)
            elif prior[0] == site.id and prior[1] == touch.card_uid:
                result.duplicates += 1
                result.workers[touch.event_id] = owners.get(touch.card_uid, (None, None))[1]
            else:
                _reject(result, touch.index, touch.event_id, EVENT_ID_REUSED)
        _insert(session, site, device, fresh, owners, tz, now, result)
    if reader_contact:
        site.reader_present = True
        site.reader_last_upload_at = now
    session.flush()
    return result


def _reject(result: IngestResult, index: int, event_id: Any, why: Rejection) -> None:
    result.rejected.append(
        {
            "event_id": event_id if isinstance(event_id, str) else None,
            "index": index,
            "error": why.code,
            "message": why.message,
        }
    )


def _valid_unique(items: Sequence[Any], result: IngestResult, now: datetime) -> list[TouchIn]:
    """Valid touches (`validate_touch`), each event id once (a repeat within the batch is a
    duplicate)."""
    seen: dict[str, TouchIn] = {}
    for index, item in enumerate(items):
        parsed = validate_touch(index, item, now)
        if isinstance(parsed, Rejection):
            raw_id = item.get("event_id") if isinstance(item, Mapping) else None
            _reject(result, index, raw_id, parsed)
            continue
        first = seen.get(parsed.event_id)
        if first is None:
            seen[parsed.event_id] = parsed
        elif first.card_uid == parsed.card_uid:
            result.duplicates += 1
        else:
            _reject(result, index, parsed.event_id, EVENT_ID_REPEATED)
    return list(seen.values())


def _existing(session: Session, event_ids: list[str]) -> dict[str, tuple[int, str | None]]:
    keys = [EXTERNAL_PREFIX + e for e in event_ids]
    rows = session.execute(
        select(Event.external_id, Event.site_id, Event.card_uid).where(Event.external_id.in_(keys))
    )
    return {ext: (site_id, uid) for ext, site_id, uid in rows}


def _owners(session: Session, uids: set[str]) -> dict[str, tuple[int, str]]:
    """card uid → (worker id, name) for active cards of active workers."""
    rows = session.execute(
        select(Card.uid, Worker.id, Worker.name)
        .join(Worker, Worker.id == Card.worker_id)
        .where(Card.uid.in_(uids), Card.active.is_(True), Worker.active.is_(True))
    )
    return {uid: (worker_id, name) for uid, worker_id, name in rows}


def _plausible(touch: TouchIn, now: datetime) -> bool:
    return touch.clock_synced and PLAUSIBLE_FLOOR <= touch.occurred_at <= now + FUTURE_TOLERANCE


def _insert(
    session: Session,
    site: Site,
    device: str,
    touches: list[TouchIn],
    owners: dict[str, tuple[int, str]],
    tz: ZoneInfo,
    now: datetime,
    result: IngestResult,
) -> None:
    if not touches:
        return
    days = [work_date_of(t.occurred_at, tz) for t in touches]
    synced = [_plausible(t, now) for t in touches]
    worker_ids = [owners.get(t.card_uid, (None, None))[0] for t in touches]
    rows = [
        {
            "external_id": EXTERNAL_PREFIX + t.event_id,
            "source": "nfc",
            "site_id": site.id,
            "worker_id": worker_id,
            "occurred_at": t.occurred_at,
            "work_date": day,
            "card_uid": t.card_uid,
            "device": device[:100],
            "seq": t.seq,
            "clock_synced": ok,
            "received_at": now,
        }
        for t, worker_id, day, ok in zip(touches, worker_ids, days, synced, strict=True)
    ]
    inserted = record_touches(session, rows, now)
    for touch, worker_id, day, ok in zip(touches, worker_ids, days, synced, strict=True):
        event_pk = inserted.get(EXTERNAL_PREFIX + touch.event_id)
        result.workers[touch.event_id] = owners.get(touch.card_uid, (None, None))[1]
        if event_pk is None:  # a concurrent request stored it first
            result.duplicates += 1
            continue
        result.accepted += 1
        result.days.add((site.id, day))
        if worker_id is None:
            _unknown_card(session, site, device, touch, event_pk, day)
        if not ok:
            _clock_unsynced(session, site, device, touch, event_pk, day, now)


def _unknown_card(
    session: Session, site: Site, device: str, touch: TouchIn, event_pk: int, day: date
) -> None:
    raise_exception(
        session,
        kind="unknown_card",
        dedupe_key=f"unknown_card:{site.id}:{touch.card_uid}",
        site_id=site.id,
        event_id=event_pk,
        work_date=day,
        detail={
            "card_uid": touch.card_uid,
            "raw_card_uid": touch.raw_card_uid,
            "device": device,
            "first_seen": touch.occurred_at.isoformat(),
        },
    )


def _clock_unsynced(
    session: Session,
    site: Site,
    device: str,
    touch: TouchIn,
    event_pk: int,
    day: date,
    now: datetime,
) -> None:
    raise_exception(
        session,
        kind="clock_unsynced",
        dedupe_key=f"clock_unsynced:{site.id}:{device}:{day.isoformat()}",
        site_id=site.id,
        event_id=event_pk,
        work_date=day,
        detail={
            "device": device,
            "reported_synced": touch.clock_synced,
            "occurred_at": touch.occurred_at.isoformat(),
            "received_at": now.isoformat(),
        },
    )
