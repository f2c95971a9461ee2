"""The lists a caller sees, scoped by `workers_db.scope` inside the query: the API's and the
admin UI's lists of sites and companies, and the API's pages of workers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workers_db.models import Company, Site, Worker
from workers_db.scope import (
    Principal,
    company_or_raise,
    scope_companies,
    scope_sites,
    scope_workers,
)


def sites_in_scope(
    session: Session, principal: Principal, by_name: bool = False, active_only: bool = False
) -> list[Site]:
    """The sites the principal sees, by id (or by name)."""
    order = (Site.name, Site.id) if by_name else (Site.id,)
    stmt = scope_sites(select(Site).order_by(*order), principal)
    if active_only:
        stmt = stmt.where(Site.active.is_(True))
    return list(session.scalars(stmt))


def companies_in_scope(
    session: Session, principal: Principal, by_name: bool = False, active_only: bool = False
) -> list[Company]:
    """The companies whose workers the principal sees, by id (or by name)."""
    order = (Company.name, Company.id) if by_name else (Company.id,)
    stmt = scope_companies(select(Company).order_by(*order), principal)
    if active_only:
        stmt = stmt.where(Company.active.is_(True))
    return list(session.scalars(stmt))


def workers_in_scope(
    session: Session,
    principal: Principal,
    company_id: int | None,
    limit: int,
    offset: int,
) -> list[Worker]:
    """One page of the workers the principal sees (of `company_id` if given: `NotFound` or
    `Forbidden` for a company it does not see), by id, with their phones and cards."""
    stmt = scope_workers(
        select(Worker)
        .options(selectinload(Worker.phones), selectinload(Worker.cards))
        .order_by(Worker.id)
        .limit(limit)
        .offset(offset),
        principal,
    )
    if company_id is not None:
        company_or_raise(session, principal, company_id)
        stmt = stmt.where(Worker.company_id == company_id)
    return list(session.scalars(stmt))
