"""Storing a batch of validated card touches as raw `nfc` events: `record_touches`.

The hot path of a reader's upload (`workers_db.touch_intake`).  On PostgreSQL a batch costs
one round trip whatever its size: a pipeline of statements, the batch as one array per column
(psycopg's binary format):

1. the owners of the batch's cards (`card_owners`: the rule of who a card belongs to), for
   the names in the answer;
2. `INSERT … SELECT FROM unnest(…) LEFT JOIN <card_owners> RETURNING external_id, id,
   worker_id`: what is stored, and with which worker, comes from the insert itself (the names
   of 1 may be a moment older: a card registered in between shows no name, nothing else).

The unique index on `external_id` decides idempotency.  A batch is almost always new, so it
goes first as a plain INSERT inside a savepoint: if the index already holds one of its ids (a
re-sent batch, or a concurrent request that inserted it first and committed), it refuses the
statement, and the batch goes again from the savepoint with `ON CONFLICT (external_id) DO
NOTHING`, which skips those.  `ON CONFLICT` costs every row an index probe and a WAL record
more (a quarter of the plain insert's time, bench/ingest_bench.py); only batches that need it
pay that.  Only when some touches are not stored, a third statement reads the rows that hold
their ids — then committed, since the insert waits for the transaction that inserted a
conflicting row — so that the caller can tell a duplicate (the same touch) from an id reused
for another one.

A batch its sender marks as re-sent (the reader agent's `X-Touches-Resent`, after a failed
upload or a start) goes straight to `ON CONFLICT`, without the savepoint: its plain INSERT
would mostly be refused, and each refusal is an ERROR line in PostgreSQL's log — a reader back
from an outage would fill it.  The answer is the same either way.

SQLite (the demo) takes the same steps through SQLAlchemy: owners, the rows already there, an
executemany insert and the stored rows read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers_db.changes import mark_reconcile
from workers_db.db import (
    DriverStatement,
    insert_ignoring_conflict,
    insert_ignoring_conflict_on,
    run_on_driver,
)
from workers_db.models import Card, Event, Worker

_EVENTS: Table = Event.__table__  # type: ignore[assignment]


@dataclass
class TouchColumns:
    """A batch of validated touches to store, one list per column, in the batch's order
    (external ids unique within it): the form the PostgreSQL statement takes them in."""

    external_ids: list[str] = field(default_factory=list)
    card_uids: list[str] = field(default_factory=list)
    occurred_at: list[datetime] = field(default_factory=list)
    work_dates: list[date] = field(default_factory=list)
    seqs: list[int | None] = field(default_factory=list)
    clock_synced: list[bool] = field(default_factory=list)


@dataclass
class StoredBatch:
    """What `record_touches` found, by card and by external id."""

    # card uid → (worker id, name): the batch's cards that have an owner (`card_owners`)
    owners: dict[str, tuple[int, str]]
    # external id → (event id, worker id or None): the rows this call stored
    stored: dict[str, tuple[int, int | None]]
    # external id → (site id, card uid) of the row that holds it, for the touches not stored
    # now (one missing here: that row was deleted since; the touch counts as a duplicate)
    holders: dict[str, tuple[int, str | None]]


def card_owners(which: ColumnElement[bool]) -> Select[str, int, str]:
    """The rule of a card's owner: an active card of an active worker; (uid, id, name)."""
    return (
        select(Card.uid, Worker.id, Worker.name)
        .join(Worker, Worker.id == Card.worker_id)
        .where(which, Card.active.is_(True), Worker.active.is_(True))
    )


def _insert_batch(*, skipping_stored: bool) -> Any:
    """Statement 2 of the module docstring, built once; `skipping_stored`: with `ON CONFLICT
    (external_id) DO NOTHING`."""
    arrays: dict[str, ARRAY[Any]] = {
        "external_id": ARRAY(String),
        "card_uid": ARRAY(String),
        "occurred_at": ARRAY(DateTime(timezone=True)),
        "work_date": ARRAY(Date),
        "seq": ARRAY(BigInteger),
        "clock_synced": ARRAY(Boolean),
    }
    params = {name: bindparam(f"{name}s", type_=kind) for name, kind in arrays.items()}
    batch = func.unnest(*params.values()).table_valued(*arrays).render_derived()
    owner = card_owners(Card.uid == any_(params["card_uid"])).subquery("owner")
    rows = select(
        batch.c.external_id,
        literal_column("'nfc'").label("source"),
        bindparam("site_id", type_=Integer).label("site_id"),
        owner.c.id.label("worker_id"),
        batch.c.occurred_at,
        batch.c.work_date,
        batch.c.card_uid,
        bindparam("device", type_=String).label("device"),
        batch.c.seq,
        batch.c.clock_synced,
        bindparam("received_at", type_=DateTime(timezone=True)).label("received_at"),
    ).select_from(batch.outerjoin(owner, owner.c.uid == batch.c.card_uid))
    into = (
        insert_ignoring_conflict_on("postgresql", _EVENTS, ("external_id",))
        if skipping_stored
        else insert(_EVENTS)
    )
    return into.from_select([c.name for c in rows.selected_columns], rows).returning(
        _EVENTS.c.external_id, _EVENTS.c.id, _EVENTS.c.worker_id
    )


_ARRAY_OF_IDS = ARRAY(String)
_OWNERS = DriverStatement(
    card_owners(Card.uid == any_(bindparam("card_uids", type_=_ARRAY_OF_IDS))), binary=True
)
_INSERT_NEW = DriverStatement(_insert_batch(skipping_stored=False), binary=True)
_INSERT_SKIPPING = DriverStatement(_insert_batch(skipping_stored=True), binary=True)
_SAVEPOINT = DriverStatement(text("SAVEPOINT touch_batch"))
_BACK_TO_SAVEPOINT = DriverStatement(text("ROLLBACK TO SAVEPOINT touch_batch"))
_EXTERNAL_ID_UNIQUE = "uq_events_external_id"
_HOLDERS = DriverStatement(
    select(Event.external_id, Event.site_id, Event.card_uid).where(
        Event.external_id == any_(bindparam("external_ids", type_=_ARRAY_OF_IDS))
    ),
    binary=True,
)


def record_touches(
    session: Session,
    *,
    site_id: int,
    device: str,
    received_at: datetime,
    batch: TouchColumns,
    resent: bool = False,
) -> StoredBatch:
    """Store `batch` as `nfc` events of `site_id` stamped `received_at`, each with its card's
    owner, skipping the external ids already stored (module docstring; `resent`: the sender
    says some may be).  Marks each (site, day) that gained an event with a worker for
    reconciliation, once."""
    if not batch.external_ids:
        return StoredBatch({}, {}, {})
    if session.get_bind().dialect.name == "postgresql":
        found = _record_on_postgresql(session, site_id, device, received_at, batch, resent)
    else:
        found = _record_portable(session, site_id, device, received_at, batch)
    stored = found.stored
    nobody = (None, None)
    days = {
        day
        for ext, day in zip(batch.external_ids, batch.work_dates, strict=True)
        if stored.get(ext, nobody)[1] is not None
    }
    for day in days:
        mark_reconcile(session, site_id, day)
    return found


def _record_on_postgresql(
    session: Session,
    site_id: int,
    device: str,
    received_at: datetime,
    batch: TouchColumns,
    resent: bool,
) -> StoredBatch:
    owners_query = (_OWNERS, {"card_uids": list(set(batch.card_uids))})
    rows = {
        "external_ids": batch.external_ids,
        "card_uids": batch.card_uids,
        "occurred_ats": batch.occurred_at,
        "work_dates": batch.work_dates,
        "seqs": batch.seqs,
        "clock_synceds": batch.clock_synced,
        "site_id": site_id,
        "device": device,
        "received_at": received_at,
    }
    if resent:
        owned, inserted = run_on_driver(session, owners_query, (_INSERT_SKIPPING, rows))
    else:
        owned, inserted = _insert_new_first(session, owners_query, rows)
    owners = {uid: (worker_id, name) for uid, worker_id, name in owned}
    stored = {ext: (pk, worker_id) for ext, pk, worker_id in inserted}
    holders: dict[str, tuple[int, str | None]] = {}
    if len(stored) < len(batch.external_ids):
        missing = [ext for ext in batch.external_ids if ext not in stored]
        [found] = run_on_driver(session, (_HOLDERS, {"external_ids": missing}))
        holders = {ext: (held_site, uid) for ext, held_site, uid in found}
    return StoredBatch(owners, stored, holders)


def _insert_new_first(
    session: Session, owners_query: tuple[DriverStatement, dict[str, Any]], rows: dict[str, Any]
) -> tuple[Sequence[tuple[Any, ...]], Sequence[tuple[Any, ...]]]:
    """The owners and the stored rows: the plain INSERT in a savepoint, and only when the
    unique index refuses it, `ON CONFLICT` from the savepoint (module docstring)."""
    try:
        _, owned, inserted = run_on_driver(
            session, (_SAVEPOINT, {}), owners_query, (_INSERT_NEW, rows)
        )
    except IntegrityError as exc:
        diagnosis = getattr(exc.orig, "diag", None)  # psycopg's: which constraint refused
        if diagnosis is None or diagnosis.constraint_name != _EXTERNAL_ID_UNIQUE:
            raise
        _, owned, inserted = run_on_driver(
            session, (_BACK_TO_SAVEPOINT, {}), owners_query, (_INSERT_SKIPPING, rows)
        )
    return owned, inserted


def _record_portable(
    session: Session, site_id: int, device: str, received_at: datetime, batch: TouchColumns
) -> StoredBatch:
    keys = batch.external_ids
    owners = {
        uid: (worker_id, name)
        for uid, worker_id, name in session.execute(card_owners(Card.uid.in_(set(batch.card_uids))))
    }
    holders = {
        ext: (held_site, uid)
        for ext, held_site, uid in session.execute(
            select(Event.external_id, Event.site_id, Event.card_uid).where(
                Event.external_id.in_(keys)
            )
        )
    }
    columns = zip(
        keys,
        batch.card_uids,
        batch.occurred_at,
        batch.work_dates,
        batch.seqs,
        batch.clock_synced,
        strict=True,
    )
    rows = [
        {
            "external_id": ext,
            "source": "nfc",
            "site_id": site_id,
            "worker_id": owners[uid][0] if uid in owners else None,
            "occurred_at": moment,
            "work_date": day,
            "card_uid": uid,
            "device": device,
            "seq": seq,
            "clock_synced": synced,
            "received_at": received_at,
        }
        for ext, uid, moment, day, seq, synced in columns
        if ext not in holders
    ]
    if rows:
        session.execute(insert_ignoring_conflict(session, _EVENTS, ("external_id",)), rows)
    stored = {
        ext: (pk, worker_id)
        for pk, ext, worker_id, received in session.execute(
            select(Event.id, Event.external_id, Event.worker_id, Event.received_at).where(
                Event.external_id.in_([row["external_id"] for row in rows])
            )
        )
        if received == received_at
    }
    return StoredBatch(owners, stored, holders)
