"""What the statistics page and its exports show: the scope asked for (a site, a prime's
sites, or everything for an admin), checked against the user's, and the figures of
`jobs.stats` for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import abort, request

from jobs.figures import FIGURES
from jobs.stats import compute_stats, daily_series, period_series
from voice_app.admin.common import nav_site
from voice_app.admin.i18n import current_lang
from voice_app.admin.scoping import site_or_abort, visible_sites
from voice_app.admin.security import current_principal
from voice_app.extensions import db, settings
from workers_db.models import Company, Site
from workers_db.sites import primes_with_sites

DAILY_LIMIT_DAYS = 62  # longer periods are charted per month


def figure_label(key: str) -> str:
    for name, ja, en, _ in FIGURES:
        if name == key:
            return ja if current_lang() == "ja" else en
    return key


@dataclass
class Scope:
    site: Site | None
    prime: Company | None
    company_id: int | None = None  # a company_admin sees only its own workers' figures

    @property
    def args(self) -> dict[str, int]:
        if self.site is not None:
            return {"site_id": self.site.id}
        if self.prime is not None:
            return {"prime_company_id": self.prime.id}
        return {}

    @property
    def name(self) -> str:
        if self.site is not None:
            return f"{self.site.name} (#{self.site.site_code})"
        if self.prime is not None:
            return self.prime.name
        return "*"


def resolve_scope() -> Scope:
    """The scope of the request's `site_id` / `prime_company_id`, else the user's own."""
    principal = current_principal()
    site_id = request.args.get("site_id", type=int)
    prime_id = request.args.get("prime_company_id", type=int)
    kind, _, ident = (request.args.get("scope") or "").partition(":")
    if ident.isdigit():  # the page's one select: "site:ID" or "prime:ID"
        site_id, prime_id = (int(ident), None) if kind == "site" else (None, int(ident))
    own = principal.own_company_only
    if site_id:
        return Scope(site_or_abort(site_id), None, own)
    if prime_id:
        prime = db().get(Company, prime_id)
        if prime is None:
            abort(404)
        if not principal.speaks_for_prime(prime_id):
            abort(403)
        return Scope(None, prime)
    if principal.role == "prime_admin" and principal.company_id is not None:
        return Scope(None, db().get(Company, principal.company_id))
    if principal.role == "site_admin" and principal.site_id is not None:
        return Scope(site_or_abort(principal.site_id), None)
    return Scope(nav_site(), None, own)


def prime_choices() -> list[Company]:
    principal = current_principal()
    if principal.is_admin:
        return primes_with_sites(db())
    if principal.role == "prime_admin" and principal.company_id is not None:
        company = db().get(Company, principal.company_id)
        return [company] if company else []
    return []


def site_choices() -> list[Site]:
    return visible_sites()


def figures_of(scope: Scope, start: date, end: date) -> dict[str, Any]:
    return compute_stats(
        db(),
        site_id=scope.site.id if scope.site else None,
        prime_company_id=scope.prime.id if scope.prime else None,
        company_id=scope.company_id,
        date_from=start,
        date_to=end,
        tz=settings().tz,
    )


def series_of(scope: Scope, start: date, end: date) -> tuple[str, list[dict[str, Any]]]:
    """("day", daily figures) for short periods, else ("month", monthly figures)."""
    kwargs: dict[str, Any] = {
        "site_id": scope.site.id if scope.site else None,
        "prime_company_id": scope.prime.id if scope.prime else None,
        "company_id": scope.company_id,
        "date_from": start,
        "date_to": end,
    }
    if (end - start).days < DAILY_LIMIT_DAYS:
        return "day", daily_series(db(), **kwargs)
    return "month", period_series(db(), period="month", **kwargs)


def presets(today: date) -> list[tuple[str, date, date]]:
    """Period shortcuts: last 30 days, this month, last month, this fiscal year to date."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    fiscal_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    return [
        ("stats.last30", today - timedelta(days=29), today),
        ("stats.this_month", month_start, today),
        ("stats.last_month", last_month_end.replace(day=1), last_month_end),
        ("stats.fiscal_year", fiscal_start, today),
    ]
