"""The call log, kept from Twilio's status callbacks: status, duration and the outcome the
flow reached (taken from the call's last stored step)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr_flows.model import CallState
from voice_app.twilio.params import TwilioParams
from workers_db.models import CallLog, CallStep

MAX_DURATION_S = 24 * 3600


def record_status(session: Session, params: TwilioParams, now: datetime) -> CallLog:
    assert params.call_sid is not None
    last = session.scalar(
        select(CallStep.state)
        .where(CallStep.call_sid == params.call_sid)
        .order_by(CallStep.id.desc())
        .limit(1)
    )
    state = CallState.from_json(last) if last else None
    row = session.scalar(select(CallLog).where(CallLog.call_sid == params.call_sid))
    if row is None:
        row = CallLog(
            call_sid=params.call_sid,
            from_e164=params.caller(),
            to_e164=params.context(now).dialed,
            started_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # a concurrent callback for the same call created it
            row = session.scalars(select(CallLog).where(CallLog.call_sid == params.call_sid)).one()
    status = params.fields.get("CallStatus", "")[:20]
    if status:
        row.status = status
    duration = params.fields.get("CallDuration", "")
    if duration.isdigit() and int(duration) <= MAX_DURATION_S:
        row.duration_s = int(duration)
    if state is not None:
        row.site_id = state.site_id
        row.worker_id = state.workers[0] if state.workers else None
        row.outcome = state.outcome[:40] or None
    row.updated_at = now
    return row
