"""What `GET /api/v1/events` and `GET /api/v1/work-records` read: one site's raw events of a
day and its work records of a period, limited to the caller's own workers for a
company_admin (the caller has checked it sees the site)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import Event, Worker, WorkRecord
from workers_db.scope import Principal, own_workers_only


def site_events(session: Session, principal: Principal, site_id: int, day: date) -> list[Event]:
    stmt = (
        select(Event)
        .where(Event.site_id == site_id, Event.work_date == day)
        .order_by(Event.occurred_at, Event.id)
    )
    return list(session.scalars(own_workers_only(stmt, principal, Event.worker_id)))


def site_work_records(
    session: Session, principal: Principal, site_id: int, first: date, last: date
) -> list[tuple[WorkRecord, str, int]]:
    """(record, worker name, worker's company id) by date and worker."""
    stmt = (
        select(WorkRecord, Worker.name, Worker.company_id)
        .join(Worker, Worker.id == WorkRecord.worker_id)
        .where(WorkRecord.site_id == site_id, WorkRecord.work_date.between(first, last))
        .order_by(WorkRecord.work_date, WorkRecord.worker_id)
    )
    stmt = own_workers_only(stmt, principal, WorkRecord.worker_id)
    return [(record, name, company_id) for record, name, company_id in session.execute(stmt)]
