"""Recording raw events and raising exceptions, both idempotent: the one event intake.

Every source comes in here: phone calls (`record_call_event`), 事後登録, 出面 and other single
events (`record_event`); card touches come in batches (`workers_db.touch_batch`).  An event's
`external_id` is unique in the database.  A retried webhook, a re-uploaded touch or two
racing requests all try to insert the same id; `ON CONFLICT (external_id) DO NOTHING` (the
call and touch forms, one round trip) or the loser's IntegrityError inside a savepoint (the
ORM form, so the caller's transaction goes on) is the normal way the race is decided, and
the caller gets the row that won.  Each stored event with a worker marks its (site, day) for
reconciliation after commit (`workers_db.changes`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Table, bindparam, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers_db.calls import STEP_KEY, StepAnswer, store_step
from workers_db.changes import mark_reconcile
from workers_db.db import (
    DriverStatement,
    insert_ignoring_conflict,
    insert_ignoring_conflict_on,
    run_on_driver,
)
from workers_db.decisions import (
    LOCK_BY_IDS,
    UNCHANGED,
    DecisionBasis,
    DecisionOutdated,
    lock_workers,
)
from workers_db.locked_read import LockedRead
from workers_db.models import (
    EVENT_SOURCES,
    EXCEPTION_KINDS,
    CallStep,
    Event,
    WorkException,
    utcnow,
)

_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_STEPS: Table = CallStep.__table__  # type: ignore[assignment]
MANUAL_NOON = time(12, 0)  # a 事後登録 without a time


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


def record_manual_entry(
    session: Session,
    *,
    site_id: int,
    worker_id: int,
    work_date: date,
    at: time | None,
    tz: ZoneInfo,
    note: str | None,
) -> Recorded:
    """事後登録 of one day as an unapproved `manual` event; when the worker already has one
    awaiting approval at the site that day, that one (created False): two concurrent entries
    of one worker decide one after the other."""
    lock_workers(session, [worker_id])
    pending = session.scalar(
        select(Event).where(
            Event.source == "manual",
            Event.site_id == site_id,
            Event.worker_id == worker_id,
            Event.work_date == work_date,
            Event.approved_at.is_(None),
        )
    )
    if pending is not None:
        return Recorded(pending, created=False)
    return record_event(
        session,
        external_id=f"manual:{uuid.uuid4()}",
        source="manual",
        site_id=site_id,
        worker_id=worker_id,
        occurred_at=datetime.combine(work_date, at or MANUAL_NOON, tzinfo=tz),
        tz=tz,
        note=note,
    )


def record_call_event(
    session: Session, values: dict[str, Any], *, also_reconcile: date | None = None
) -> tuple[int, bool]:
    """Insert one phone event (the columns of `events` in `values`) in one round trip:
    (its id, True) or, when the external id was already there, (the stored id, False).
    `also_reconcile`: another day of the site the event changes (the overnight shift it
    closes)."""
    stmt = insert_ignoring_conflict(session, _EVENTS, ("external_id",)).returning(_EVENTS.c.id)
    new_id = session.execute(stmt, values).scalar()
    if new_id is None:
        existing = session.scalar(
            select(Event.id).where(Event.external_id == values["external_id"])
        )
        assert existing is not None
        return existing, False
    _mark_call_event(session, values, also_reconcile)
    return new_id, True


def record_call_event_and_step(
    session: Session,
    values: dict[str, Any],
    answer: StepAnswer,
    *,
    also_reconcile: date | None,
    basis: DecisionBasis | None = None,
) -> tuple[bool, bool]:
    """`record_call_event` and `calls.store_step`: whether the event was new and whether the
    answer was stored (False: a concurrent delivery of the step stored one, and the caller
    rolls back).  The zero-key check-in's write: on PostgreSQL its two inserts, each `ON
    CONFLICT DO NOTHING` as on their own, are the two data-modifying CTEs of one statement,
    one round trip, on psycopg directly (`run_on_driver`); the event goes in only with the
    step, so a delivery that lost leaves nothing.  Elsewhere (SQLite) one after the other.

    With `basis` (a checked decision, `workers_db.decisions`): the statement takes the
    workers' decision lock first and inserts nothing if their history changed since it was
    read (`DecisionOutdated` is raised); when the session's transaction has sent nothing
    yet, it is a transaction of its own, committed when it returns."""
    if session.get_bind().dialect.name != "postgresql":
        _, created = record_call_event(session, values, also_reconcile=also_reconcile)
        return created, store_step(session, answer)
    params = {**_UNSET, **values, **vars(answer), "created_at": utcnow()}
    if basis is None:
        [rows] = run_on_driver(session, (_EVENT_AND_STEP, params))
    else:
        params.update(basis.params())
        rows = _EVENT_AND_STEP_IF_UNCHANGED.run(session, params, locked=False, own_transaction=True)
    event_id, step_id, unchanged = rows[0]
    if basis is not None and not unchanged:
        raise DecisionOutdated(f"the history of workers {basis.worker_ids} changed")
    if event_id is not None:
        _mark_call_event(session, values, also_reconcile)
    return event_id is not None, step_id is not None


def _mark_call_event(session: Session, values: dict[str, Any], also: date | None) -> None:
    if values.get("worker_id") is not None:
        mark_reconcile(session, values["site_id"], values["work_date"])
        if also is not None:
            mark_reconcile(session, values["site_id"], also)


def _event_and_step(condition: ColumnElement[bool]) -> Select[Any]:
    """SELECT (the new event's id), (the stored step's id), `condition`: the step inserted
    only if `condition` holds, the event only with the step; NULL for what was not."""

    def inserted(table: Table, key: tuple[str, ...], name: str, when: Any) -> Any:
        columns = [c for c in table.columns if not c.primary_key]
        values = select(*(bindparam(c.name, type_=c.type) for c in columns)).where(when)
        return (
            insert_ignoring_conflict_on("postgresql", table, key)
            .from_select([c.name for c in columns], values)
            .returning(table.c.id)
            .cte(name)
        )

    checked = select(condition.label("holds")).cte("checked")  # evaluated once
    holds = select(checked.c.holds).scalar_subquery()
    step = inserted(_STEPS, STEP_KEY, "new_step", holds)
    event = inserted(_EVENTS, ("external_id",), "new_event", select(step.c.id).exists())
    return select(select(event.c.id).scalar_subquery(), select(step.c.id).scalar_subquery(), holds)


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if not c.primary_key]


_EVENT_AND_STEP = DriverStatement(_event_and_step(true()))
_EVENT_AND_STEP_IF_UNCHANGED = LockedRead(
    "call_event_and_step", LOCK_BY_IDS, _event_and_step(UNCHANGED)
)
# Every column is bound: one a phone event does not set is NULL (none of them has a default).
_UNSET = dict.fromkeys(_columns(_EVENTS))


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
