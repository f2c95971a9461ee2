"""One-click resolutions of the day rules' exceptions, each audited with its reason code.

- A forgotten exit (`no_exit`): the office sets the exit time of that day.  The time is
  stored as a raw event of its own (source `manual`, direction `exit`, approved by whoever set
  it), so the work record is rebuilt from events as always and its `last_out` shows it; the
  exception is resolved with `exit_time_set`.
- A site hop (`overlapping_sites`): the office keeps the day at this site (`site_kept`) or
  drops it (`site_dropped`: the next reconciliation writes no work record for that worker,
  site and day).  Each site's office decides for its own side.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workers_db.errors import NotFound, ValidationFailed
from workers_db.intake import record_event, work_date_of
from workers_db.models import Event, WorkException, utcnow
from workers_db.resolutions import DROPPED_REASON, resolve_exception

EXIT_SET_REASON = "exit_time_set"
KEPT_REASON = "site_kept"


def _open_exception(session: Session, exception_id: int, kind: str) -> WorkException:
    row = session.get(WorkException, exception_id)
    if row is None or row.kind != kind:
        raise NotFound("exception.not_found", {"id": exception_id})
    return row


def set_forgotten_exit(
    session: Session,
    exception_id: int,
    exit_at: datetime,
    actor: str,
    tz: ZoneInfo,
    note: str | None = None,
) -> Event:
    """Record the exit time the office set for a `no_exit` day and resolve the exception.

    The exit must come after the entry, on the entry's own work date, and not in the future.
    A resolved exception is refused (its day is settled)."""
    row = _open_exception(session, exception_id, "no_exit")
    if row.status != "open":
        raise ValidationFailed.one("exception_id", "exception.resolved")
    entry = session.get(Event, row.event_id) if row.event_id else None
    if entry is None or entry.direction == "exit" or row.worker_id is None:
        raise ValidationFailed.one("exception_id", "exception.no_entry")
    if exit_at <= entry.occurred_at:
        raise ValidationFailed.one("exit_at", "exit.before_entry")
    if exit_at > utcnow():
        raise ValidationFailed.one("exit_at", "exit.future")
    if work_date_of(exit_at, tz) != entry.work_date:
        raise ValidationFailed.one(
            "exit_at", "exit.other_day", {"day": entry.work_date.isoformat()}
        )
    recorded = record_event(
        session,
        external_id=f"exit_set:{row.id}",
        source="manual",
        site_id=entry.site_id,
        occurred_at=exit_at,
        tz=tz,
        worker_id=row.worker_id,
        direction="exit",
        note=(note or "").strip() or "退場時刻の入力 (exit time set by the office)",
    )
    event = recorded.event
    if recorded.created:  # the new event marks its day for reconciliation itself
        event.approved_at, event.approved_by = utcnow(), actor
    resolve_exception(
        session, row.id, EXIT_SET_REASON, actor, note=f"exit {exit_at.astimezone(tz):%H:%M}"
    )
    return event


def resolve_site_hop(session: Session, exception_id: int, keep: bool, actor: str) -> WorkException:
    """Keep or drop this site's day of an `overlapping_sites` exception."""
    row = _open_exception(session, exception_id, "overlapping_sites")
    reason = KEPT_REASON if keep else DROPPED_REASON
    return resolve_exception(session, row.id, reason, actor)  # marks the day for reconciling
