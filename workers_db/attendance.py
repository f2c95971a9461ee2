"""The 出面表 (monthly attendance sheet) of one site, and the look-ups the site's other
documents share: who came in a month, in which company and tier, on which days.

A day on the sheet is a work record (就業履歴, any source: phone, card, 事後登録, 出面) of
the worker at the site; `countable` says whether it accumulates in CCUS.  Workers are ordered
as an office reads them: by company down the 施工体制 (元請 first, then 一次, 二次, …;
companies outside the tree last), then by name reading.  `own_company_id` (None for
everything) is the caller's scope: a company admin sees only its own workers' rows, and the
daily head counts count only the rows shown.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from workers_db.models import Company, SiteCompany, SiteWorker, Worker, WorkRecord


@dataclass
class AttendanceDay:
    first_in: datetime | None
    last_out: datetime | None
    countable: bool


@dataclass
class AttendanceRow:
    worker: Worker
    company: Company
    tier: int | None
    days: dict[int, AttendanceDay] = field(default_factory=dict)

    @property
    def total_days(self) -> int:
        return len(self.days)

    @property
    def first_day(self) -> int:
        return min(self.days)


@dataclass
class AttendanceSheet:
    site_id: int
    year: int
    month: int
    rows: list[AttendanceRow]

    @property
    def month_label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def day_numbers(self) -> list[int]:
        return list(range(1, monthrange(self.year, self.month)[1] + 1))

    def totals(self) -> dict[int, int]:
        """Head count per day of the month (every day present, zeros included)."""
        out = dict.fromkeys(self.day_numbers, 0)
        for row in self.rows:
            for day in row.days:
                out[day] += 1
        return out

    def first_date(self, row: AttendanceRow) -> date:
        return date(self.year, self.month, row.first_day)


def parse_month(text: str) -> tuple[int, int] | None:
    """`YYYY-MM` → (year, month), or None when it is not one."""
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        return None
    year, month = int(text[:4]), int(text[5:])
    return (year, month) if 1 <= month <= 12 and year >= 1900 else None


def attendance_sheet(
    session: Session,
    site_id: int,
    year: int,
    month: int,
    own_company_id: int | None = None,
    company_id: int | None = None,
) -> AttendanceSheet:
    """The site's 出面表 for one month; `company_id` narrows it to one employer."""
    first = date(year, month, 1)
    last = date(year, month, monthrange(year, month)[1])
    query = (
        select(WorkRecord, Worker, Company, SiteCompany.tier)
        .join(Worker, Worker.id == WorkRecord.worker_id)
        .join(Company, Company.id == Worker.company_id)
        .outerjoin(
            SiteCompany,
            (SiteCompany.site_id == WorkRecord.site_id) & (SiteCompany.company_id == Company.id),
        )
        .where(WorkRecord.site_id == site_id, WorkRecord.work_date.between(first, last))
    )
    if own_company_id is not None:
        query = query.where(Worker.company_id == own_company_id)
    if company_id is not None:
        query = query.where(Worker.company_id == company_id)
    rows: dict[int, AttendanceRow] = {}
    for record, worker, company, tier in session.execute(query):
        row = rows.get(worker.id)
        if row is None:
            row = rows[worker.id] = AttendanceRow(worker, company, tier)
        row.days[record.work_date.day] = AttendanceDay(
            record.first_in, record.last_out, bool(record.countable)
        )
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.tier is None,
            r.tier if r.tier is not None else 0,
            r.company.name_kana or r.company.name,
            r.company.id,
            r.worker.name_kana or r.worker.name,
            r.worker.id,
        ),
    )
    return AttendanceSheet(site_id, year, month, ordered)


def sheet_json(sheet: AttendanceSheet, tz: Any) -> dict[str, Any]:
    """The API's shape: days keyed by the day of the month without a leading zero, times ISO
    8601 in the site office's zone (`tz`)."""

    def local(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(tz).isoformat()

    return {
        "site_id": sheet.site_id,
        "month": sheet.month_label,
        "workers": [
            {
                "worker_id": row.worker.id,
                "name": row.worker.name,
                "company_id": row.company.id,
                "company": row.company.name,
                "tier": row.tier,
                "days": {
                    str(day): {
                        "first_in": local(d.first_in),
                        "last_out": local(d.last_out),
                        "countable": d.countable,
                    }
                    for day, d in sorted(row.days.items())
                },
                "total_days": row.total_days,
            }
            for row in sheet.rows
        ],
        "totals": {str(day): n for day, n in sheet.totals().items()},
    }


def first_days(session: Session, site_id: int, worker_ids: list[int]) -> dict[int, date]:
    """Each worker's first work day at the site, ever (the roster's 入場年月日)."""
    if not worker_ids:
        return {}
    rows = session.execute(
        select(WorkRecord.worker_id, func.min(WorkRecord.work_date))
        .where(WorkRecord.site_id == site_id, WorkRecord.worker_id.in_(worker_ids))
        .group_by(WorkRecord.worker_id)
    )
    return {worker_id: _as_date(day) for worker_id, day in rows}


def inductions(session: Session, site_id: int, worker_ids: list[int]) -> dict[int, date]:
    """The site's 受入教育実施日 of these workers (where one is recorded)."""
    if not worker_ids:
        return {}
    rows = session.scalars(
        select(SiteWorker).where(
            SiteWorker.site_id == site_id,
            SiteWorker.worker_id.in_(worker_ids),
            SiteWorker.induction_on.is_not(None),
        )
    )
    return {row.worker_id: row.induction_on for row in rows if row.induction_on is not None}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parent_names(session: Session, site_id: int) -> dict[int, str]:
    """Company id → the name of the company it works under at this site (施工体制)."""
    parent = aliased(Company)
    rows = session.execute(
        select(SiteCompany.company_id, parent.name)
        .join(parent, parent.id == SiteCompany.parent_company_id)
        .where(SiteCompany.site_id == site_id)
    )
    return {company_id: name for company_id, name in rows}
