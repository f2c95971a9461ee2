"""Companies for the office: editing one (validated and audited here), its workers, and how
many active workers each has; creating one is `registration.create_company`."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.identifiers import InvalidIdentifier, normalize_ccus_id
from workers_db.models import Company, Worker
from workers_db.scope import Principal, scope_companies
from workers_db.search import search_companies
from workers_db.text import clean_text, optional_kana


def active_worker_counts(session: Session, company_ids: Collection[int]) -> dict[int, int]:
    if not company_ids:
        return {}
    rows = session.execute(
        select(Worker.company_id, func.count(Worker.id))
        .where(Worker.company_id.in_(company_ids), Worker.active.is_(True))
        .group_by(Worker.company_id)
    )
    return {company_id: count for company_id, count in rows}


def workers_of(session: Session, company_id: int) -> list[Worker]:
    """The company's workers, active ones first, by kana."""
    return list(
        session.scalars(
            select(Worker)
            .where(Worker.company_id == company_id)
            .order_by(Worker.active.desc(), Worker.name_kana, Worker.name)
        )
    )


def edit_company(
    session: Session,
    company: Company,
    *,
    name: str,
    name_kana: str | None,
    ccus_business_id: str | None,
    sole_proprietor: bool,
    actor: str,
) -> None:
    problems: list[FieldProblem] = []
    name = clean_text(name)
    if not name:
        problems.append(FieldProblem("name", "required"))
    ccus = None
    try:
        ccus = normalize_ccus_id(ccus_business_id)
    except InvalidIdentifier as exc:
        problems.append(exc.problem("ccus_business_id"))
    if ccus and session.scalar(
        select(Company.id).where(Company.ccus_business_id == ccus, Company.id != company.id)
    ):
        problems.append(FieldProblem("ccus_business_id", "already_registered", {"value": ccus}))
    if problems:
        raise ValidationFailed(problems)
    before = {"name": company.name, "ccus_business_id": company.ccus_business_id}
    company.name = name
    company.name_kana = optional_kana(name_kana)
    company.ccus_business_id = ccus
    company.sole_proprietor = sole_proprietor
    session.flush()
    audit(
        session,
        actor,
        "edit_company",
        "company",
        company.id,
        before=before,
        name=company.name,
        ccus_business_id=ccus,
    )


def company_page(
    session: Session, principal: Principal, q: str, show_all: bool, limit: int
) -> list[Company]:
    """The companies the principal sees, by kana: those whose name, reading or 事業者ID
    matches `q` (normalised as for workers, `workers_db.search`); inactive ones only when
    `show_all`."""
    stmt = scope_companies(select(Company), principal).order_by(Company.name_kana, Company.name)
    stmt = search_companies(stmt, q)
    if not show_all:
        stmt = stmt.where(Company.active.is_(True))
    return list(session.scalars(stmt.limit(limit)))
