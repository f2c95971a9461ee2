"""Checking one touch event of a reader's batch before anything is written.

`validate_touch` answers a `TouchIn` or a `Rejection` (an error code and a message): every
value the database would refuse, or that would break a later step, is refused here, event by
event, so one bad event never costs the rest of its batch (nor a 5xx that makes the reader
send the same batch for ever).  The codes are listed in docs/nfc.md.

- `occurred_at` must lie between `EARLIEST_OCCURRED_AT` (2000-01-01T00:00Z) and
  `MAX_AHEAD` (one day) after the server's clock; outside it the work date cannot be right
  (and year 1 or 9999 overflowed the conversion to the site's zone).
- `seq` fits a BIGINT (0 … 2^63-1).
- `card_uid` reads as a card id (`workers_db.identifiers.canonical_card_uid`) and is at most
  `MAX_RAW_CARD_UID` characters as sent (the raw text is kept with an unknown card).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from workers_db.identifiers import InvalidIdentifier, canonical_card_uid

EVENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}$")
EARLIEST_OCCURRED_AT = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)
MAX_SEQ = 2**63 - 1  # PostgreSQL BIGINT
MAX_RAW_CARD_UID = 64


@dataclass(slots=True)
class TouchIn:
    """One event that passed validation (slots, not frozen: a batch builds hundreds)."""

    index: int
    event_id: str
    card_uid: str
    raw_card_uid: str
    occurred_at: datetime
    seq: int | None
    clock_synced: bool


@dataclass(frozen=True)
class Rejection:
    """Why one event is refused: a stable `code` (for programs) and a `message` (for people)."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


def validate_touch(index: int, item: Any, now: datetime) -> TouchIn | Rejection:
    """The event at `index` of a batch as a `TouchIn`, or the reason it is refused."""
    if not isinstance(item, dict):  # what a JSON object reads as (an ABC check costs more)
        return Rejection("not_an_object", "each event must be a JSON object")
    event_id = item.get("event_id")
    if not isinstance(event_id, str) or not EVENT_ID_PATTERN.match(event_id):
        return Rejection(
            "event_id_invalid",
            "event_id: required, 1-100 characters of A-Z a-z 0-9 . _ : - (a UUID or ULID)",
        )
    raw_uid = item.get("card_uid")
    if not isinstance(raw_uid, str) or not raw_uid.strip():
        return Rejection(
            "card_uid_missing", "card_uid: required, the card id in hex (F:/A:/B: prefix optional)"
        )
    uid = _card_uid(raw_uid)
    if isinstance(uid, Rejection):
        return uid
    moment = _occurred_at(item.get("occurred_at"), now)
    if isinstance(moment, Rejection):
        return moment
    seq = item.get("seq")
    if seq is not None:
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            return Rejection("seq_invalid", "seq: must be a whole number ≥ 0")
        if seq > MAX_SEQ:
            return Rejection(
                "seq_out_of_range", f"seq: must be at most {MAX_SEQ}", {"max": MAX_SEQ}
            )
    synced = item.get("clock_synced", True)
    if not isinstance(synced, bool):
        return Rejection("clock_synced_invalid", "clock_synced: must be true or false")
    return TouchIn(index, event_id, uid, raw_uid, moment.astimezone(UTC), seq, synced)


@functools.lru_cache(maxsize=4096)
def _card_uid(raw: str) -> str | Rejection:
    """The canonical id of a card id as sent, or why it is refused.  Cached: a site's readers
    send the same few hundred cards all day, and reading one costs ~5 µs (NFKC, patterns)."""
    if len(raw) > MAX_RAW_CARD_UID:
        return Rejection("card_uid_invalid", f"card_uid: longer than {MAX_RAW_CARD_UID} characters")
    try:
        return canonical_card_uid(raw)
    except InvalidIdentifier as exc:
        return Rejection("card_uid_invalid", f"card_uid: {exc}")


def _occurred_at(value: Any, now: datetime) -> datetime | Rejection:
    if not isinstance(value, str):
        return Rejection("occurred_at_missing", "occurred_at: required, ISO 8601 with a UTC offset")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return Rejection("occurred_at_invalid", f"occurred_at: {value!r} is not an ISO 8601 time")
    if moment.tzinfo is None:
        return Rejection(
            "occurred_at_no_offset", f"occurred_at: {value!r} has no UTC offset (add +09:00 or Z)"
        )
    latest = now + MAX_AHEAD
    # Compared before any conversion: year 1 at +14:00 has no UTC time at all.
    if not EARLIEST_OCCURRED_AT <= moment <= latest:
        return Rejection(
            "occurred_at_out_of_range",
            f"occurred_at: {value!r} is outside {EARLIEST_OCCURRED_AT.isoformat()} … "
            f"{latest.isoformat(timespec='seconds')} (at most a day ahead of the server)",
            {"earliest": EARLIEST_OCCURRED_AT.isoformat(), "latest": latest.isoformat()},
        )
    return moment
