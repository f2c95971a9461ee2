"""新目標: a member company's target and commitment for a fiscal year, and the figures it
notifies to each of its sites (docs/documents.md, "Targets").

One home for the rules of targets: who may set them (an `admin`, or the `prime_admin` of that
very prime), what is a valid figure (counts ≥ 0, rates 0–1, a commitment not above its
target), and that the same prime and fiscal year again replaces the row.  The API, the CLI and
the admin UI all call `set_target` / `set_site_target`; they never write `Target` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.errors import FieldProblem, Forbidden, NotFound, ValidationFailed
from workers_db.models import Company, Site, SiteTarget, Target
from workers_db.scope import Principal

MIN_FISCAL_YEAR = 2000
MAX_FISCAL_YEAR = 2100
MAX_COUNT = 10**12
SITE_RATES = ("company_rate", "worker_rate", "accumulation_rate")
RATE_PAIRS = (
    ("company_rate_target", "company_rate_commitment"),
    ("worker_rate_target", "worker_rate_commitment"),
)


@dataclass(frozen=True)
class TargetFigures:
    """One fiscal year's 新目標 as entered (rates as fractions 0–1, None when not given)."""

    touches_target: int
    touches_commitment: int
    company_rate_target: float | None = None
    company_rate_commitment: float | None = None
    worker_rate_target: float | None = None
    worker_rate_commitment: float | None = None


def prime_or_raise(session: Session, caller: Principal, prime_company_id: int) -> Company:
    """The prime whose targets the caller means; NotFound, or Forbidden outside it."""
    company = session.get(Company, prime_company_id)
    if company is None:
        raise NotFound("company.not_found", {"id": prime_company_id})
    if not caller.speaks_for_prime(prime_company_id):
        raise Forbidden("targets.prime_only")
    return company


def check_figures(figures: TargetFigures, problems: list[FieldProblem]) -> None:
    """Counts are whole numbers ≥ 0, rates in [0, 1], and a commitment (the minimum) is never
    above its target; a rate pair is given whole or not at all."""
    for name in ("touches_target", "touches_commitment"):
        value = getattr(figures, name)
        if not 0 <= value <= MAX_COUNT:
            problems.append(FieldProblem(name, "between", {"min": 0, "max": MAX_COUNT}))
    for pair in RATE_PAIRS:
        for name in pair:
            value = getattr(figures, name)
            if value is not None and not 0 <= value <= 1:
                problems.append(FieldProblem(name, "rate_range", {"value": str(value)}))
        target, commitment = (getattr(figures, n) for n in pair)
        if (target is None) != (commitment is None):
            missing = pair[1] if commitment is None else pair[0]
            problems.append(
                FieldProblem(missing, "required_together", {"other": _other(pair, missing)})
            )
    if not problems:
        for target_name, commitment_name in (("touches_target", "touches_commitment"), *RATE_PAIRS):
            target, commitment = getattr(figures, target_name), getattr(figures, commitment_name)
            if target is not None and commitment is not None and commitment > target:
                problems.append(
                    FieldProblem(
                        commitment_name,
                        "commitment_above_target",
                        {"commitment": str(commitment), "target": str(target)},
                    )
                )


def _other(pair: tuple[str, str], name: str) -> str:
    return pair[1] if name == pair[0] else pair[0]


def set_target(
    session: Session,
    caller: Principal,
    actor: str,
    prime_company_id: int,
    fiscal_year: int,
    figures: TargetFigures,
) -> tuple[Target, bool]:
    """Set (or replace) the prime's 新目標 for `fiscal_year`; returns the row and whether it
    is new.  Raises NotFound, Forbidden or ValidationFailed; never commits."""
    prime_or_raise(session, caller, prime_company_id)
    problems: list[FieldProblem] = []
    if not MIN_FISCAL_YEAR <= fiscal_year <= MAX_FISCAL_YEAR:
        problems.append(FieldProblem("fiscal_year", "fiscal_year.invalid", {"value": fiscal_year}))
    check_figures(figures, problems)
    if problems:
        raise ValidationFailed(problems)
    row = session.scalar(
        select(Target).where(
            Target.company_id == prime_company_id, Target.fiscal_year == fiscal_year
        )
    )
    created = row is None
    if row is None:
        row = Target(company_id=prime_company_id, fiscal_year=fiscal_year)
        session.add(row)
    row.target_count = figures.touches_target
    row.commitment_count = figures.touches_commitment
    for pair in RATE_PAIRS:
        for name in pair:
            setattr(row, name, getattr(figures, name))
    session.flush()
    audit(
        session,
        actor,
        "set_target",
        "target",
        row.id,
        prime_company_id=prime_company_id,
        fiscal_year=fiscal_year,
        replaced=not created,
        **{f.name: getattr(figures, f.name) for f in fields(figures)},
    )
    return row, created


def list_targets(
    session: Session, caller: Principal, prime_company_id: int, fiscal_year: int | None = None
) -> list[Target]:
    """The prime's targets, newest fiscal year first."""
    prime_or_raise(session, caller, prime_company_id)
    query = select(Target).where(Target.company_id == prime_company_id)
    if fiscal_year is not None:
        query = query.where(Target.fiscal_year == fiscal_year)
    return list(session.scalars(query.order_by(Target.fiscal_year.desc())))


def target_json(row: Target) -> dict[str, Any]:
    return {
        "id": row.id,
        "prime_company_id": row.company_id,
        "fiscal_year": row.fiscal_year,
        "touches_target": row.target_count,
        "touches_commitment": row.commitment_count,
        "company_rate_target": row.company_rate_target,
        "company_rate_commitment": row.company_rate_commitment,
        "worker_rate_target": row.worker_rate_target,
        "worker_rate_commitment": row.worker_rate_commitment,
    }


def set_site_target(
    session: Session, caller: Principal, actor: str, site_id: int, rates: dict[str, float | None]
) -> tuple[SiteTarget, bool]:
    """Set (or replace) the figures the prime notifies to one of its sites; keys of `rates`
    are `SITE_RATES`, each 0–1 or None.  Only an admin or the site's prime sets them (the
    site is judged against its prime's figures, not its own)."""
    site_or_raise(session, caller, site_id)
    problems = [
        FieldProblem(name, "rate_range", {"value": str(value)})
        for name, value in rates.items()
        if value is not None and not 0 <= value <= 1
    ]
    problems += [FieldProblem(n, "unknown_figure") for n in rates if n not in SITE_RATES]
    if problems:
        raise ValidationFailed(problems)
    row = session.scalar(select(SiteTarget).where(SiteTarget.site_id == site_id))
    created = row is None
    if row is None:
        row = SiteTarget(site_id=site_id)
        session.add(row)
    for name in SITE_RATES:
        setattr(row, name, rates.get(name))
    session.flush()
    audit(
        session,
        actor,
        "set_site_target",
        "site",
        site_id,
        replaced=not created,
        **{n: rates.get(n) for n in SITE_RATES},
    )
    return row, created


def site_or_raise(session: Session, caller: Principal, site_id: int) -> Site:
    """A site whose notified figures the caller may set: an admin, or the site's prime."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("site.not_found", {"id": site_id})
    if not caller.speaks_for_prime(site.prime_company_id):
        raise Forbidden("targets.site_prime_only")
    return site


def site_target_json(row: SiteTarget) -> dict[str, Any]:
    return {
        "site_id": row.site_id,
        "company_rate": row.company_rate,
        "worker_rate": row.worker_rate,
        "accumulation_rate": row.accumulation_rate,
    }


def site_targets(session: Session, site_ids: list[int]) -> dict[int, SiteTarget]:
    """The notified figures of these sites, by site id (sites without any are absent)."""
    if not site_ids:
        return {}
    rows = session.scalars(select(SiteTarget).where(SiteTarget.site_id.in_(site_ids)))
    return {row.site_id: row for row in rows}
