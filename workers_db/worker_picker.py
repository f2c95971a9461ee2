"""The worker picker: the few workers matching what a site admin is typing, for forms that
choose one worker (事後登録 on the board, linking an unknown phone or card) on a site of any
size.  A form never lists every worker in scope: with 100,000 of them that was megabytes per
page (`bench/admin_pages_bench.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from workers_db.models import Company, SiteCompany, Worker
from workers_db.scope import Principal, scope_workers
from workers_db.search import search_workers

PICK_LIMIT = 30


@dataclass(frozen=True)
class Pick:
    id: int
    name: str
    name_kana: str | None
    company: str

    @property
    def label(self) -> str:
        kana = f"（{self.name_kana}）" if self.name_kana else ""
        return f"{self.name}{kana} · {self.company}"


def pick_workers(
    session: Session,
    principal: Principal,
    q: str,
    *,
    at_site_id: int | None = None,
    limit: int = PICK_LIMIT,
) -> list[Pick]:
    """Up to `limit` active workers in the principal's scope matching `q` (name or reading,
    however typed; company; 技能者ID; phone), nothing for an empty `q`.  `at_site_id`: only
    workers of companies in that site's 施工体制 (those a 事後登録 may be entered for)."""
    if not q.strip():
        return []
    stmt = (
        select(Worker.id, Worker.name, Worker.name_kana, Company.name)
        .join(Company, Company.id == Worker.company_id)
        .where(Worker.active.is_(True))
    )
    if at_site_id is not None:
        stmt = stmt.where(works_at_site(at_site_id))
    stmt = search_workers(scope_workers(stmt, principal), q)
    rows = session.execute(stmt.order_by(Worker.name_kana, Worker.name, Worker.id).limit(limit))
    return [Pick(*row) for row in rows]


def works_at_site(site_id: int) -> ColumnElement[bool]:
    """A worker's company is in the site's 施工体制: the workers a 事後登録 may be for."""
    return Worker.company_id.in_(
        select(SiteCompany.company_id).where(SiteCompany.site_id == site_id)
    )


def works_at_site_now(session: Session, site_id: int, worker: Worker) -> bool:
    """Is this worker one a 事後登録 at the site may be for (active, company at the site)?"""
    return worker.active and bool(
        session.scalar(select(exists().where(works_at_site(site_id), Worker.id == worker.id)))
    )


def any_worker_at_site(session: Session, principal: Principal, site_id: int) -> bool:
    """Is there anyone in scope a 事後登録 at the site could be entered for?"""
    stmt = select(Worker.id).where(Worker.active.is_(True), works_at_site(site_id))
    return bool(session.scalar(select(exists(scope_workers(stmt, principal)))))
