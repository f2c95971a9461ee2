"""What the day rules tell the office about one site's day, for its board.

- `asked`: a call asked before an early exit (the exit confirmation) and nothing was recorded
  (outcome `exit_declined`, or `asked_exit` when the caller hung up before answering);
- `no_exit`: an open `no_exit` exception on that day (an entry left without an exit);
- `hop`: an open `overlapping_sites` exception on that day (the worker was recorded at
  another site at the same time).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import CallLog, WorkException

ASKED_OUTCOMES = ("exit_declined", "asked_exit")
_MARKED_KINDS = {"no_exit": "no_exit", "overlapping_sites": "hop"}


def board_marks(
    session: Session, site_id: int, work_date: date, tz: ZoneInfo
) -> dict[int, set[str]]:
    """worker id → the marks of that worker on the site's day."""
    marks: dict[int, set[str]] = defaultdict(set)
    start = datetime.combine(work_date, time(0), tzinfo=tz)
    asked = session.execute(
        select(CallLog.worker_id).where(
            CallLog.site_id == site_id,
            CallLog.outcome.in_(ASKED_OUTCOMES),
            CallLog.started_at >= start,
            CallLog.started_at < start + timedelta(days=1),
        )
    )
    for (worker_id,) in asked:
        if worker_id is not None:
            marks[worker_id].add("asked")
    open_rows = session.execute(
        select(WorkException.worker_id, WorkException.kind).where(
            WorkException.site_id == site_id,
            WorkException.work_date == work_date,
            WorkException.status == "open",
            WorkException.kind.in_(tuple(_MARKED_KINDS)),
        )
    )
    for worker_id, kind in open_rows:
        if worker_id is not None:
            marks[worker_id].add(_MARKED_KINDS[kind])
    return dict(marks)
