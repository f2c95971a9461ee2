"""What the signed-in user may see and change, applied in queries through `Principal`.

An id outside the user's scope is 403 (the row exists, it is not theirs); an unknown id 404.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, select

from voice_app.admin.security import current_principal
from voice_app.extensions import db
from workers_db.models import Company, Site, Worker

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def visible_sites(active_only: bool = False) -> list[Site]:
    principal = current_principal()
    stmt = select(Site).order_by(Site.name, Site.id)
    ids = principal.visible_site_ids(db())
    if ids is not None:
        stmt = stmt.where(Site.id.in_(ids))
    if active_only:
        stmt = stmt.where(Site.active.is_(True))
    return list(db().scalars(stmt))


def site_or_abort(site_id: int, manage: bool = False) -> Site:
    """The site if visible (and manageable when `manage`), else 404/403."""
    site = db().get(Site, site_id)
    if site is None:
        abort(404)
    principal = current_principal()
    allowed = (
        principal.can_manage_site(db(), site_id)
        if manage
        else principal.can_see_site(db(), site_id)
    )
    if not allowed:
        abort(403)
    return site


def company_or_abort(company_id: int) -> Company:
    company = db().get(Company, company_id)
    if company is None:
        abort(404)
    if not current_principal().can_manage_company(db(), company_id):
        abort(403)
    return company


def worker_or_abort(worker_id: int) -> Worker:
    worker = db().get(Worker, worker_id)
    if worker is None:
        abort(404)
    if not current_principal().can_see_worker(db(), worker):
        abort(403)
    return worker


def scope_companies(stmt: S) -> S:
    """Limit a statement over `Company` to the companies the user may see."""
    ids = current_principal().visible_company_ids(db())
    return stmt if ids is None else stmt.where(Company.id.in_(ids))


def scope_workers(stmt: S) -> S:
    """Limit a statement over `Worker` to the workers of the companies the user may see."""
    ids = current_principal().visible_company_ids(db())
    return stmt if ids is None else stmt.where(Worker.company_id.in_(ids))


def company_choices(active_only: bool = True) -> list[Company]:
    stmt = scope_companies(select(Company).order_by(Company.name, Company.id))
    if active_only:
        stmt = stmt.where(Company.active.is_(True))
    return list(db().scalars(stmt))


def site_ids_in_scope() -> set[int] | None:
    """None means every site (admin)."""
    return current_principal().visible_site_ids(db())


def own_company_only() -> int | None:
    """A company_admin's company: their views of a site show only their own workers."""
    principal = current_principal()
    return principal.company_id if principal.role == "company_admin" else None
