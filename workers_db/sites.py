"""Sites for the office: today's numbers per site, the choice of prime, and editing a site's
settings (validated and audited here; creating one is `registration.create_site`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.identifiers import InvalidIdentifier, normalize_ccus_id, normalize_phone
from workers_db.models import Company, Event, Site, WorkException

ANSWER_MODES = ("confirm", "reject")


def workers_today(session: Session, site_ids: Collection[int], day: date) -> dict[int, int]:
    """Distinct workers with an event of `day`, per site."""
    if not site_ids:
        return {}
    rows = session.execute(
        select(Event.site_id, func.count(func.distinct(Event.worker_id)))
        .where(Event.site_id.in_(site_ids), Event.work_date == day)
        .group_by(Event.site_id)
    )
    return {site_id: count for site_id, count in rows}


def open_exceptions_per_site(session: Session, site_ids: Collection[int]) -> dict[int, int]:
    if not site_ids:
        return {}
    rows = session.execute(
        select(WorkException.site_id, func.count(WorkException.id))
        .where(WorkException.site_id.in_(site_ids), WorkException.status == "open")
        .group_by(WorkException.site_id)
    )
    return {site_id: count for site_id, count in rows if site_id is not None}


def busiest_site(session: Session, site_ids: Collection[int] | None, day: date) -> Site | None:
    """The active site with the most events on `day` (then by name) among `site_ids` (None:
    every site): where the calls are coming in."""
    busy = (
        select(func.count(Event.id))
        .where(Event.site_id == Site.id, Event.work_date == day)
        .scalar_subquery()
    )
    stmt = (
        select(Site).where(Site.active.is_(True)).order_by(busy.desc(), Site.name, Site.id).limit(1)
    )
    if site_ids is not None:
        stmt = stmt.where(Site.id.in_(site_ids))
    return session.scalar(stmt)


def open_exception_total(session: Session, site_ids: Collection[int] | None) -> int:
    """Open exceptions of these sites (None: every site, and those of no site)."""
    stmt = select(func.count(WorkException.id)).where(WorkException.status == "open")
    if site_ids is not None:
        stmt = stmt.where(WorkException.site_id.in_(site_ids))
    return int(session.scalar(stmt) or 0)


def companies_by_id(session: Session, ids: Collection[int]) -> dict[int, Company]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(ids)))}


def prime_choices(session: Session, only_company_id: int | None) -> list[Company]:
    """Active companies a new site may belong to (one, for a prime_admin; any, for an admin)."""
    stmt = select(Company).where(Company.active.is_(True)).order_by(Company.name)
    if only_company_id is not None:
        stmt = stmt.where(Company.id == only_company_id)
    return list(session.scalars(stmt))


def edit_site(
    session: Session,
    site: Site,
    *,
    name: str,
    dial_in_number: str | None,
    ccus_site_id: str | None,
    contract_amount_yen: int | None,
    answer_mode: str,
    model_works: bool,
    registered_in_ccus: bool,
    active: bool,
    actor: str,
    problems: list[FieldProblem] | None = None,
) -> list[str]:
    """Validate and apply a site's editable settings; `problems` already found by the caller
    (e.g. an unreadable amount) are reported together.  Returns the changed fields."""
    problems = list(problems or [])
    name = (name or "").strip()
    if not name:
        problems.append(FieldProblem("name", "required"))
    dial_in = None
    if (dial_in_number or "").strip():
        try:
            dial_in = normalize_phone(dial_in_number or "")
        except InvalidIdentifier as exc:
            problems.append(exc.problem("dial_in_number"))
        if dial_in and _taken(session, Site.dial_in_number == dial_in, site.id):
            problems.append(FieldProblem("dial_in_number", "dial_in.taken", {"value": dial_in}))
    ccus = None
    try:
        ccus = normalize_ccus_id(ccus_site_id)
    except InvalidIdentifier as exc:
        problems.append(exc.problem("ccus_site_id"))
    if ccus and _taken(session, Site.ccus_site_id == ccus, site.id):
        problems.append(FieldProblem("ccus_site_id", "already_registered", {"value": ccus}))
    if answer_mode not in ANSWER_MODES:
        problems.append(FieldProblem("answer_mode", "answer_mode"))
    if problems:
        raise ValidationFailed(problems)
    new: dict[str, object] = {
        "name": name,
        "dial_in_number": dial_in,
        "ccus_site_id": ccus,
        "registered_in_ccus": ccus is not None or registered_in_ccus,
        "contract_amount_yen": contract_amount_yen,
        "answer_mode": answer_mode,
        "model_works": model_works,
        "active": active,
    }
    for key, value in new.items():
        setattr(site, key, value)
    session.flush()
    audit(
        session, actor, "edit_site", "site", site.id, changed=sorted(new), site_code=site.site_code
    )
    return sorted(new)


def _taken(session: Session, condition: object, site_id: int) -> bool:
    return (
        session.scalar(select(Site.id).where(condition, Site.id != site_id).limit(1))  # type: ignore[arg-type]
        is not None
    )


def first_prime_id(session: Session) -> int | None:
    """The prime contractor of the oldest site (None without sites)."""
    return session.scalar(select(Site.prime_company_id).order_by(Site.id).limit(1))


def sites_of_prime(session: Session, prime_company_id: int) -> list[Site]:
    """The sites a company is the prime contractor of, by name."""
    return list(
        session.scalars(
            select(Site)
            .where(Site.prime_company_id == prime_company_id)
            .order_by(Site.name, Site.id)
        )
    )


def primes_with_sites(session: Session) -> list[Company]:
    """Every company that is the prime contractor of at least one site, by name."""
    return list(
        session.scalars(
            select(Company)
            .where(Company.id.in_(select(Site.prime_company_id)))
            .order_by(Company.name)
        )
    )
