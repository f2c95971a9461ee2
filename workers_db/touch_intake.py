"""Card touches from reader agents (and imported reader logs) into raw events.

Each event of a batch is checked on its own: a bad one is rejected with its reason and the good
ones are kept.  The agent's `event_id` is the idempotency key (`Event.external_id =
"nfc:{event_id}"`) and the unique index on it decides: a re-sent batch, or two racing
requests, store each touch once and count the rest as duplicates, and an id already stored
for another touch is refused (`workers_db.touch_batch.record_touches`).  A card nobody owns
is stored with `worker_id` NULL and its `card_uid`, and raises one `unknown_card` exception
per site and card (showing the id exactly as received); a touch read with an unsynchronized
clock raises one `clock_unsynced` per reader and day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from workers_db.db import DriverStatement, fetch_rows, stamp_unless_held
from workers_db.intake import raise_exception, work_date_of
from workers_db.models import Site, utcnow
from workers_db.touch_batch import TouchColumns, record_touches
from workers_db.touch_validation import Rejection, TouchIn, validate_touch

EXTERNAL_PREFIX = "nfc:"
_SITES: Table = Site.__table__  # type: ignore[assignment]
# A "synced" reader whose clock is further ahead of ours than this, or earlier than the floor,
# is flagged as unsynced all the same (its touches are kept, and the office looks at them).
FUTURE_TOLERANCE = timedelta(hours=1)
PLAUSIBLE_FLOOR = datetime(2020, 1, 1, tzinfo=UTC)
EVENT_ID_REUSED = Rejection("event_id_reused", "event_id: already used by another touch")
EVENT_ID_REPEATED = Rejection("event_id_repeated", "event_id: used twice in this batch")


class ReaderSite(NamedTuple):
    """The site a device token uploads for (`reader_site`)."""

    id: int
    active: bool
    site_code: str


_READER_SITE = DriverStatement(
    select(Site.id, Site.active, Site.site_code).where(Site.id == bindparam("site_id"))
)
_STAMP_CONTACT = stamp_unless_held(_SITES, "id", ("reader_present", "reader_last_upload_at"))


def reader_site(session: Session, site_id: int, upload_at: datetime) -> ReaderSite | None:
    """The site `site_id` as its reader's upload needs it, and the reader's contact (稼働)
    stamped `upload_at` (`stamp_unless_held`: every upload of the site writes that row).  Both
    statements in one round trip on PostgreSQL (`fetch_rows`), no ORM object: every upload
    asks this.  A refused upload is rolled back, and its stamp with it."""
    rows, _ = fetch_rows(
        session,
        (_READER_SITE, {"site_id": site_id}),
        (
            _STAMP_CONTACT,
            {"key": site_id, "reader_present": True, "reader_last_upload_at": upload_at},
        ),
    )
    return ReaderSite(*rows[0]) if rows else None


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # event_id → worker name (None: the card is not registered) for accepted and duplicates
    workers: dict[str, str | None] = field(default_factory=dict)

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
    site_id: int,
    device: str,
    items: Sequence[Any],
    tz: ZoneInfo,
    now: datetime | None = None,
    resent: bool = False,
) -> IngestResult:
    """Validate and store one batch for the site `site_id` (from the device token, never the
    body).

    The hot path of a reader's upload: per event only the checks of `validate_touch`, the work
    date and the answer run in Python; the card look-up and the idempotent insert are one
    round trip for the batch (`record_touches`), and each exception is raised once per batch
    (its dedupe key makes it once per site and card, or reader and day, for ever).  `resent`:
    the sender says the batch may be stored already (`record_touches`)."""
    now = now or utcnow()
    result = IngestResult()
    touches = _valid_unique(items, result, now)
    latest = now + FUTURE_TOLERANCE
    moments = [t.occurred_at for t in touches]
    batch = TouchColumns(
        external_ids=[EXTERNAL_PREFIX + t.event_id for t in touches],
        card_uids=[t.card_uid for t in touches],
        occurred_at=moments,
        work_dates=[work_date_of(moment, tz) for moment in moments],
        seqs=[t.seq for t in touches],
        clock_synced=[
            t.clock_synced and PLAUSIBLE_FLOOR <= t.occurred_at <= latest for t in touches
        ],
    )
    found = record_touches(
        session, site_id=site_id, device=device[:100], received_at=now, batch=batch, resent=resent
    )
    names = {uid: name for uid, (_, name) in found.owners.items()}
    raised: set[str] = set()
    columns = zip(touches, batch.external_ids, batch.work_dates, batch.clock_synced, strict=True)
    for touch, external_id, day, synced in columns:
        stored = found.stored.get(external_id)
        if stored is None:  # stored before, or by a concurrent request first
            holder = found.holders.get(external_id)
            if holder is not None and holder != (site_id, touch.card_uid):
                _reject(result, touch.index, touch.event_id, EVENT_ID_REUSED)
                continue
            result.duplicates += 1
        else:
            result.accepted += 1
            event_pk, worker_id = stored
            if worker_id is None and f"card:{touch.card_uid}" not in raised:
                raised.add(f"card:{touch.card_uid}")
                _unknown_card(session, site_id, device, touch, event_pk, day)
            if not synced and f"day:{day}" not in raised:
                raised.add(f"day:{day}")
                _clock_unsynced(session, site_id, device, touch, event_pk, day, now)
        result.workers[touch.event_id] = names.get(touch.card_uid)
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


def _unknown_card(
    session: Session, site_id: int, device: str, touch: TouchIn, event_pk: int, day: date
) -> None:
    raise_exception(
        session,
        kind="unknown_card",
        dedupe_key=f"unknown_card:{site_id}:{touch.card_uid}",
        site_id=site_id,
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
    site_id: int,
    device: str,
    touch: TouchIn,
    event_pk: int,
    day: date,
    now: datetime,
) -> None:
    raise_exception(
        session,
        kind="clock_unsynced",
        dedupe_key=f"clock_unsynced:{site_id}:{device}:{day.isoformat()}",
        site_id=site_id,
        event_id=event_pk,
        work_date=day,
        detail={
            "device": device,
            "reported_synced": touch.clock_synced,
            "occurred_at": touch.occurred_at.isoformat(),
            "received_at": now.isoformat(),
        },
    )
