"""The IVR's own tables: the answer stored per webhook step (`call_steps`), and the call log
kept from Twilio's status callbacks (`call_logs`: status, duration and the outcome the flow
reached, taken from the call's last stored step).

A step's answer is stored in the same transaction as its events: a retried delivery finds
it (`stored_steps`), and of two concurrent deliveries of one step the first to commit wins
(`store_step` inserts with `ON CONFLICT DO NOTHING`, `stored_answer` reads the winner).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr_flows.model import CallState
from workers_db.db import insert_ignoring_conflict
from workers_db.models import CallLog, CallStep

MAX_DURATION_S = 24 * 3600
_STEPS: Table = CallStep.__table__  # type: ignore[assignment]
STEP_KEY = ("call_sid", "step")  # a step's answer is stored once (`store_step`)


def stored_steps(session: Session, call_sid: str, steps: Collection[str]) -> dict[str, Any]:
    """step → its stored row (`response_xml`, `state`) for those of `steps` already stored."""
    rows = session.execute(
        select(CallStep.step, CallStep.response_xml, CallStep.state).where(
            CallStep.call_sid == call_sid, CallStep.step.in_(list(steps))
        )
    ).all()
    return {row.step: row for row in rows}


@dataclass(frozen=True)
class StepAnswer:
    """What a webhook step answered and the flow's state after it: one `call_steps` row."""

    call_sid: str
    step: str
    response_xml: str
    state: str


def store_step(session: Session, answer: StepAnswer) -> bool:
    """Store the step's answer; False when a concurrent delivery of the step stored one."""
    stored = session.execute(
        insert_ignoring_conflict(session, _STEPS, STEP_KEY).returning(_STEPS.c.id),
        vars(answer),
    ).scalar()
    return stored is not None


def stored_answer(session: Session, call_sid: str, step: str) -> str | None:
    answer: str | None = session.scalar(
        select(CallStep.response_xml).where(CallStep.call_sid == call_sid, CallStep.step == step)
    )
    return answer


def record_status(
    session: Session,
    call_sid: str,
    *,
    from_e164: str | None,
    to_e164: str | None,
    status: str,
    duration: str,
    now: datetime,
) -> CallLog:
    """Keep one status callback of the call in its log row (created on the first)."""
    last = session.scalar(
        select(CallStep.state)
        .where(CallStep.call_sid == call_sid)
        .order_by(CallStep.id.desc())
        .limit(1)
    )
    state = CallState.from_json(last) if last else None
    row = session.scalar(select(CallLog).where(CallLog.call_sid == call_sid))
    if row is None:
        row = CallLog(call_sid=call_sid, from_e164=from_e164, to_e164=to_e164, started_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # a concurrent callback for the same call created it
            row = session.scalars(select(CallLog).where(CallLog.call_sid == call_sid)).one()
    if status[:20]:
        row.status = status[:20]
    if duration.isdigit() and int(duration) <= MAX_DURATION_S:
        row.duration_s = int(duration)
    if state is not None:
        row.site_id = state.site_id
        row.worker_id = state.workers[0] if state.workers else None
        row.outcome = state.outcome[:40] or None
    row.updated_at = now
    return row
