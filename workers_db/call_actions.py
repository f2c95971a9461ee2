"""Carrying out the actions of an IVR step in the webhook's transaction, and storing the
step's answer with them (`workers_db.calls`).

Events go in through the event intake (`workers_db.intake.record_call_event`: `INSERT … ON
CONFLICT (external_id) DO NOTHING`), so a retried webhook, a racing duplicate or a spool
replay finds the row that won, and the touched (site, day) is marked for reconciliation
after the commit.  A step whose one action is an event (the zero-key check-in: its entry)
writes the event and the answer together (`intake.record_call_event_and_step`: one
statement on PostgreSQL).  A PIN try was counted before the PIN was evaluated
(`workers_db.lockout`); a success clears the counters here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr_flows.model import (
    Action,
    AddToStructure,
    CallContext,
    PinSucceeded,
    RaiseException,
    RecordEvent,
)
from workers_db import lockout
from workers_db.calls import StepAnswer, store_step
from workers_db.decisions import DecisionBasis, confirm
from workers_db.identifiers import mask_phone
from workers_db.intake import (
    raise_exception,
    record_call_event,
    record_call_event_and_step,
    work_date_of,
)
from workers_db.models import Event, WorkException
from workers_db.structure import add_call_edge

log = logging.getLogger(__name__)


def apply(
    session: Session,
    actions: Sequence[Action],
    call: CallContext,
    tz: ZoneInfo,
    answer: StepAnswer,
    basis: DecisionBasis | None = None,
) -> tuple[int, bool]:
    """Apply the actions and store the step's answer: how many events were newly inserted,
    and whether the answer was stored (False: a concurrent delivery of the step stored one
    first; the caller rolls back).  `basis`: the step was decided checked
    (`workers_db.decisions`), and nothing is written unless what it read still holds
    (`DecisionOutdated` otherwise)."""
    if len(actions) == 1 and isinstance(actions[0], RecordEvent):
        return _record_with_answer(session, actions[0], call, tz, answer, basis)
    if basis is not None and actions:
        confirm(session, basis)
    event_ids: dict[str, int] = {}
    created_count = 0
    for action in actions:
        if isinstance(action, RecordEvent):
            event_id, new = _record(session, action, call, tz)
            event_ids[action.external_id] = event_id
            created_count += new
        elif isinstance(action, RaiseException):
            _raise(session, action, event_ids)
        elif isinstance(action, AddToStructure):
            add_call_edge(
                session, action.site_id, action.company_id, action.parent_company_id, action.tier
            )
        elif isinstance(action, PinSucceeded):
            _identified(session, action)
    return created_count, store_step(session, answer)


def _record_with_answer(
    session: Session,
    action: RecordEvent,
    call: CallContext,
    tz: ZoneInfo,
    answer: StepAnswer,
    basis: DecisionBasis | None,
) -> tuple[int, bool]:
    """The zero-key check-in: its event and the step's answer in one statement."""
    created, stored = record_call_event_and_step(
        session,
        _values(action, call, tz),
        answer,
        also_reconcile=action.also_reconcile,
        basis=basis,
    )
    if created:
        _log_recorded(action, call)
    return int(created), stored


def _record(
    session: Session, action: RecordEvent, call: CallContext, tz: ZoneInfo
) -> tuple[int, bool]:
    values = _values(action, call, tz)
    event_id, created = record_call_event(session, values, also_reconcile=action.also_reconcile)
    if created:
        _log_recorded(action, call)
    return event_id, created


def _values(action: RecordEvent, call: CallContext, tz: ZoneInfo) -> dict[str, Any]:
    """The event's columns."""
    return {
        "external_id": action.external_id,
        "source": "phone",
        "site_id": action.site_id,
        "worker_id": action.worker_id,
        "occurred_at": call.now,
        "work_date": work_date_of(call.now, tz),
        "direction": action.direction,
        "caller_e164": action.caller_e164,
        "device": "twilio",
        "clock_synced": True,
        "received_at": datetime.now(call.now.tzinfo),
        "note": action.note,
    }


def _log_recorded(action: RecordEvent, call: CallContext) -> None:
    log.info(
        "call %s: %s recorded for worker %s at site %s (caller %s)",
        call.call_sid,
        action.direction or "attempt",
        action.worker_id if action.worker_id is not None else "-",
        action.site_id,
        mask_phone(action.caller_e164),
    )


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


def _identified(session: Session, action: PinSucceeded) -> None:
    lockout.clear(session, action.keys)
    if action.exception_dedupe_key:
        row = session.scalar(
            select(WorkException).where(WorkException.dedupe_key == action.exception_dedupe_key)
        )
        if row is not None:  # the office can link the number to this worker in one step
            row.detail = {**row.detail, "identified_worker_id": action.worker_id, "by": "pin"}
            if row.worker_id is None:  # and the card names the worker the PIN identified
                row.worker_id = action.worker_id
