"""The work records (就業履歴) of a period for the office's export, with their site, worker
and employer, streamed (`yield_per`), in the order a site office reads them."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import Company, Site, Worker, WorkRecord


def work_records_for_export(
    session: Session,
    *,
    start: date,
    end: date,
    site_id: int | None,
    site_ids: Collection[int] | None,
    company_id: int | None,
) -> Iterator[tuple[WorkRecord, Site, Worker, Company]]:
    """(WorkRecord, Site, Worker, Company) rows of `start`..`end`: of one site or every site
    in scope (`site_ids`, None: all), and of one employer's workers when `company_id` is set."""
    stmt = (
        select(WorkRecord, Site, Worker, Company)
        .join(Site, Site.id == WorkRecord.site_id)
        .join(Worker, Worker.id == WorkRecord.worker_id)
        .join(Company, Company.id == Worker.company_id)
        .where(WorkRecord.work_date >= start, WorkRecord.work_date <= end)
        .order_by(WorkRecord.work_date, Site.site_code, Company.name, Worker.name_kana, Worker.name)
    )
    if site_id is not None:
        stmt = stmt.where(WorkRecord.site_id == site_id)
    if site_ids is not None:
        stmt = stmt.where(WorkRecord.site_id.in_(site_ids))
    if company_id is not None:
        stmt = stmt.where(Worker.company_id == company_id)
    rows = session.execute(stmt.execution_options(yield_per=2000))
    for record, site, worker, company in rows:  # noqa: UP028 (typed tuples, not Rows)
        yield record, site, worker, company
