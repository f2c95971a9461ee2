"""Which (site, work day) a transaction changed, marked on the session itself.

Work records are derived from events, so a write that changes an event changes a work day,
and that day must be reconciled once the write is committed.  No operation asks for that by
hand: every flush looks at the new, changed and deleted `Event` rows of the session (with a
worker, before or after the change) and marks their (site_id, work_date), old and new when an
update moved them.  A write that bypasses the unit of work (a Core `INSERT … ON CONFLICT`, a
set-based `UPDATE`) marks its days with `mark_reconcile` inside the workers_db operation that
runs it.  An after-commit hook (`jobs.queue.install_dispatch`) takes the marks and enqueues
the reconciliations; a rollback of the whole transaction drops them.

The hook listens on every `Session` (registered when `workers_db.models` is imported), so a
new write path gets its reconciliation without knowing about it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from workers_db.models.events import Event

_MARKS_KEY = "genba_reconcile_requests"


def mark_reconcile(session: Session, site_id: int, work_date: date) -> None:
    """Reconcile (site, day) once this session's transaction commits."""
    session.info.setdefault(_MARKS_KEY, set()).add((site_id, work_date))


def take_marks(session: Session) -> set[tuple[int, date]]:
    """The marks of the transaction that just committed; the session starts afresh."""
    marks: set[tuple[int, date]] = session.info.pop(_MARKS_KEY, set())
    return marks


def _values(row: Event, name: str) -> set[Any]:
    """The attribute's value now and, when the flush changes it, before."""
    history = inspect(row).attrs[name].history
    found = {*history.added, *history.unchanged, *history.deleted}
    return found if found else {getattr(row, name)}  # not loaded: read it


def _mark_event(session: Session, row: Event) -> None:
    if _values(row, "worker_id") == {None}:
        return  # an event of nobody counts for no work record
    for site_id in _values(row, "site_id"):
        for day in _values(row, "work_date"):
            mark_reconcile(session, site_id, day)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Event) and (
            row not in session.dirty or session.is_modified(row, include_collections=False)
        ):
            _mark_event(session, row)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_MARKS_KEY, None)
