"""Carrying out a step's actions in the request's transaction.

Events go in with `INSERT … ON CONFLICT (external_id) DO NOTHING`: one round trip on the hot
path, and a retried webhook, a racing duplicate or a spool replay finds the row that won.
Reconciliation of each touched (site, day) is requested for after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr_flows.model import (
    Action,
    AddToStructure,
    CallContext,
    PinFailed,
    PinSucceeded,
    RaiseException,
    RecordEvent,
)
from ivr_flows.policy import PIN_FAILURE_WINDOW_S, PIN_LOCK_AFTER_FAILURES, PIN_LOCK_S
from jobs.queue import request_reconcile
from workers_db.identifiers import mask_phone
from workers_db.intake import raise_exception, work_date_of
from workers_db.models import AuthFailure, Event, WorkException
from workers_db.structure import add_call_edge

log = logging.getLogger(__name__)
_EVENTS: Table = Event.__table__  # type: ignore[assignment]


@cache
def _insert_once(dialect: str, table: Table, index: tuple[str, ...]) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(index))


def insert_ignoring_conflict(session: Session, table: Table, index: tuple[str, ...]) -> Any:
    """`INSERT … ON CONFLICT (index) DO NOTHING` for PostgreSQL and SQLite alike, built once
    per dialect and table; the values are bound at execution."""
    return _insert_once(session.get_bind().dialect.name, table, index)


def apply(session: Session, actions: Iterable[Action], call: CallContext, tz: ZoneInfo) -> int:
    """Apply the actions; returns how many events were newly inserted."""
    event_ids: dict[str, int] = {}
    created = 0
    for action in actions:
        if isinstance(action, RecordEvent):
            event_id, new = _record(session, action, call, tz)
            event_ids[action.external_id] = event_id
            created += new
        elif isinstance(action, RaiseException):
            _raise(session, action, event_ids)
        elif isinstance(action, AddToStructure):
            add_call_edge(
                session, action.site_id, action.company_id, action.parent_company_id, action.tier
            )
        elif isinstance(action, PinFailed):
            for key in action.keys:
                _count_failure(session, key, call.now)
        elif isinstance(action, PinSucceeded):
            _identified(session, action)
    return created


def _record(
    session: Session, action: RecordEvent, call: CallContext, tz: ZoneInfo
) -> tuple[int, bool]:
    work_date = work_date_of(call.now, tz)
    stmt = insert_ignoring_conflict(session, _EVENTS, ("external_id",)).returning(_EVENTS.c.id)
    values = {
        "external_id": action.external_id,
        "source": "phone",
        "site_id": action.site_id,
        "worker_id": action.worker_id,
        "occurred_at": call.now,
        "work_date": work_date,
        "direction": action.direction,
        "caller_e164": action.caller_e164,
        "device": "twilio",
        "clock_synced": True,
        "received_at": datetime.now(call.now.tzinfo),
        "note": action.note,
    }
    new_id = session.execute(stmt, values).scalar()
    if new_id is None:
        existing = session.scalar(select(Event.id).where(Event.external_id == action.external_id))
        assert existing is not None
        return existing, False
    log.info(
        "call %s: %s recorded for worker %s at site %s (caller %s)",
        call.call_sid,
        action.direction or "attempt",
        action.worker_id if action.worker_id is not None else "-",
        action.site_id,
        mask_phone(action.caller_e164),
    )
    if action.worker_id is not None:
        request_reconcile(session, action.site_id, work_date)
        if action.also_reconcile is not None:
            request_reconcile(session, action.site_id, action.also_reconcile)
    return new_id, True


def _raise(session: Session, action: RaiseException, event_ids: dict[str, int]) -> None:
    event_id = event_ids.get(action.event_external_id) if action.event_external_id else None
    if action.event_external_id and event_id is None:
        event_id = session.scalar(
            select(Event.id).where(Event.external_id == action.event_external_id)
        )
    raise_exception(
        session,
        kind=action.kind,
        dedupe_key=action.dedupe_key,
        site_id=action.site_id,
        worker_id=action.worker_id,
        event_id=event_id,
        work_date=action.work_date,
        detail=dict(action.detail),
    )


def _count_failure(session: Session, key: str, now: datetime) -> None:
    """One more failed PIN attempt under `key`; locks it after too many within the window."""
    for _ in range(2):  # a concurrent first failure may win the insert: then update its row
        row = session.scalar(select(AuthFailure).where(AuthFailure.key == key).with_for_update())
        if row is None:
            try:
                with session.begin_nested():
                    session.add(AuthFailure(key=key, failures=1, first_failure_at=now))
                return
            except IntegrityError:
                continue
        if now - row.first_failure_at > timedelta(seconds=PIN_FAILURE_WINDOW_S):
            row.failures, row.first_failure_at, row.locked_until = 1, now, None
        else:
            row.failures += 1
        if row.failures >= PIN_LOCK_AFTER_FAILURES:
            row.locked_until = now + timedelta(seconds=PIN_LOCK_S)
            log.warning("PIN lock-out for %s until %s", _masked_key(key), row.locked_until)
        session.flush()
        return


def _identified(session: Session, action: PinSucceeded) -> None:
    session.execute(delete(AuthFailure).where(AuthFailure.key.in_(action.keys)))
    if action.exception_dedupe_key:
        row = session.scalar(
            select(WorkException).where(WorkException.dedupe_key == action.exception_dedupe_key)
        )
        if row is not None:  # the office can link the number to this worker in one step
            row.detail = {**row.detail, "identified_worker_id": action.worker_id, "by": "pin"}


def _masked_key(key: str) -> str:
    prefix, _, value = key.rpartition(":")
    return f"{prefix}:{mask_phone(value) if value.startswith('+') else value[:4] + '…'}"
