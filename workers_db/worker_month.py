"""A worker's own month: countable work days, the last of them, and the 建退共 estimate.

Read from the reconciled work records (`work_records.countable` is the one place a day is
decided to count), exactly as the statistics count `work_history_count` and `kentaikyo_yen`:
the same worker and days give the same digits on the phone, on the worker's row in the admin
UI and on the statistics page.  A check-in appears here once reconciliation has run (a few
seconds after the call).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ivr_flows.model import MonthFigures, SiteRef
from workers_db.models import Site, Worker, WorkRecord

KENTAIKYO_YEN_PER_DAY = 320  # 建退共: per worker and working day


def month_figures(
    session: Session,
    worker_ids: Sequence[int],
    first: date,
    last: date,
    site_ids: Collection[int] | None = None,
) -> dict[int, MonthFigures]:
    """Each worker's countable days in `first`..`last` (at `site_ids` only, when given: the
    sites a login may see), with the latest day and its site."""
    if not worker_ids:
        return {}
    where: list[ColumnElement[bool]] = [
        WorkRecord.worker_id.in_(list(worker_ids)),
        WorkRecord.countable.is_(True),
        WorkRecord.work_date.between(first, last),
    ]
    if site_ids is not None:
        where.append(WorkRecord.site_id.in_(list(site_ids)))
    latest = func.row_number().over(
        partition_by=WorkRecord.worker_id,
        order_by=(WorkRecord.work_date.desc(), WorkRecord.first_in.desc(), WorkRecord.id.desc()),
    )
    ranked = (
        select(
            WorkRecord.worker_id,
            WorkRecord.work_date,
            Site.name,
            Site.site_code,
            func.count().over(partition_by=WorkRecord.worker_id).label("days"),
            latest.label("rank"),
        )
        .join(Site, Site.id == WorkRecord.site_id)
        .where(*where)
        .subquery()
    )
    sites = dict(
        session.execute(
            select(WorkRecord.worker_id, func.count(func.distinct(WorkRecord.site_id)))
            .where(*where)
            .group_by(WorkRecord.worker_id)
        ).all()
    )
    last_rows = {
        row.worker_id: row for row in session.execute(select(ranked).where(ranked.c.rank == 1))
    }
    out: dict[int, MonthFigures] = {}
    people = session.execute(
        select(Worker.id, Worker.ccus_worker_id, Worker.kentaikyo).where(
            Worker.id.in_(list(worker_ids))
        )
    )
    for worker_id, ccus_id, kentaikyo in people:
        row = last_rows.get(worker_id)
        days = int(row.days) if row is not None else 0
        out[worker_id] = MonthFigures(
            registered=ccus_id is not None,
            days=days,
            sites=int(sites.get(worker_id, 0)),
            last_date=row.work_date if row is not None else None,
            last_site=SiteRef(row.name, row.site_code) if row is not None else None,
            kentaikyo_yen=days * KENTAIKYO_YEN_PER_DAY if kentaikyo else None,
        )
    return out
