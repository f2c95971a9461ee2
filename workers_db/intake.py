"""Recording raw events and raising exceptions, both idempotent.

An event's `external_id` is unique in the database.  A retried webhook, a re-uploaded touch or
two racing requests all try to insert the same id; the loser's IntegrityError (inside a
savepoint, so the caller's transaction goes on) is the normal way the race is decided, and
the caller gets the row that won.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers_db.models import EVENT_SOURCES, EXCEPTION_KINDS, Event, WorkException, utcnow


@dataclass(frozen=True)
class Recorded:
    event: Event
    created: bool  # False when the external id was already there (a duplicate delivery)


def work_date_of(moment: datetime, tz: ZoneInfo) -> date:
    """The 就業日 of an instant: its calendar date in GENBA_TZ."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: occurred_at needs a time zone")
    return moment.astimezone(tz).date()


def record_event(
    session: Session,
    *,
    external_id: str,
    source: str,
    site_id: int,
    occurred_at: datetime,
    tz: ZoneInfo,
    worker_id: int | None = None,
    direction: str | None = None,
    card_uid: str | None = None,
    caller_e164: str | None = None,
    device: str | None = None,
    seq: int | None = None,
    clock_synced: bool = True,
    note: str | None = None,
) -> Recorded:
    """Insert one raw event unless its external id exists; never updates an existing one."""
    if source not in EVENT_SOURCES:
        raise ValueError(f"source must be one of {EVENT_SOURCES}, not {source!r}")
    existing = session.scalar(select(Event).where(Event.external_id == external_id))
    if existing is not None:
        return Recorded(existing, created=False)
    event = Event(
        external_id=external_id,
        source=source,
        site_id=site_id,
        worker_id=worker_id,
        occurred_at=occurred_at,
        work_date=work_date_of(occurred_at, tz),
        direction=direction,
        card_uid=card_uid,
        caller_e164=caller_e164,
        device=device,
        seq=seq,
        clock_synced=clock_synced,
        note=note,
    )
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        winner = session.scalar(select(Event).where(Event.external_id == external_id))
        if winner is None:  # the violation was not the external id: a real error
            raise
        return Recorded(winner, created=False)
    return Recorded(event, created=True)


def last_event_of_worker(
    session: Session, worker_id: int, site_id: int, since: datetime
) -> Event | None:
    """The worker's latest phone/nfc event at the site since `since` (for the repeat window
    and the entry/exit decision)."""
    return session.scalar(
        select(Event)
        .where(
            Event.worker_id == worker_id,
            Event.site_id == site_id,
            Event.occurred_at >= since,
            Event.source.in_(("phone", "nfc")),
        )
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(1)
    )


def raise_exception(
    session: Session,
    *,
    kind: str,
    dedupe_key: str,
    site_id: int | None = None,
    worker_id: int | None = None,
    event_id: int | None = None,
    work_date: date | None = None,
    detail: dict[str, Any] | None = None,
) -> WorkException:
    """Open an exception once per `dedupe_key`; a resolved one stays resolved."""
    if kind not in EXCEPTION_KINDS:
        raise ValueError(f"kind must be one of {EXCEPTION_KINDS}, not {kind!r}")
    existing = session.scalar(select(WorkException).where(WorkException.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    row = WorkException(
        kind=kind,
        dedupe_key=dedupe_key,
        site_id=site_id,
        worker_id=worker_id,
        event_id=event_id,
        work_date=work_date,
        detail=detail or {},
        status="open",
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        winner = session.scalar(select(WorkException).where(WorkException.dedupe_key == dedupe_key))
        if winner is None:
            raise
        return winner
    return row
