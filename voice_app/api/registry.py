"""/api/v1 pre-registration: companies, sites and the 施工体制 edges (docs/api.md).

Workers and the roster (出面) are in `registry_workers`.  Scope is the one rule of
`workers_db.scope` (docs/scope.md), applied in the queries; a prime_admin creates sites only
with its own company as prime.  The 施工体制 changes are `workers_db.structure`'s.
Device tokens get 403 everywhere here (`require_token` without "device").
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from voice_app.api.answers import CompanyOut, EdgeOut, SiteOut
from voice_app.api.auth import current_principal
from voice_app.api.declare import Link, answer, operation
from voice_app.api.requests import CompanyIn, SiteCompanyIn, SiteIn
from voice_app.extensions import db
from workers_db.audit import actor_of
from workers_db.errors import Forbidden, NotFound, ValidationFailed
from workers_db.models import Site
from workers_db.registration import create_company, create_site
from workers_db.scope import site_or_raise
from workers_db.scope_lists import companies_in_scope, sites_in_scope
from workers_db.structure import place_company

ALL_ADMINS = ("admin", "prime_admin", "site_admin", "company_admin")


# ---------------------------------------------------------------- companies


@operation(
    "POST",
    "/companies",
    summary="register a company",
    roles=("admin", "prime_admin", "site_admin"),
    tag="registry",
    body=CompanyIn,
    answers={201: ("the company", CompanyOut)},
    links=(
        Link("AddToSite", "post_site_company", "company_id", in_body=True),
        Link("RegisterWorker", "post_worker", "company_id", in_body=True),
        Link("ListItsWorkers", "list_workers", "company_id"),
    ),
)
def post_company(body: CompanyIn) -> ResponseReturnValue:
    session = db()
    company = create_company(
        session,
        body.name,
        ccus_business_id=body.ccus_business_id,
        sole_proprietor=bool(body.sole_proprietor),
        name_kana=body.name_kana,
        actor=actor_of(current_principal()),
    )
    session.commit()
    return answer(CompanyOut.model_validate(company), 201)


@operation(
    "GET",
    "/companies",
    summary="the companies in the token's scope, by id",
    roles=ALL_ADMINS,
    tag="registry",
    answers={200: ("the companies", list[CompanyOut])},
)
def list_companies() -> ResponseReturnValue:
    companies = companies_in_scope(db(), current_principal())
    return answer([CompanyOut.model_validate(c) for c in companies])


# ---------------------------------------------------------------- sites


@operation(
    "POST",
    "/sites",
    summary="register a site (its prime becomes the root of its 施工体制)",
    roles=("admin", "prime_admin"),
    tag="registry",
    body=SiteIn,
    answers={201: ("the site", SiteOut)},
    links=(
        Link("AddCompany", "post_site_company", "site_id", in_body=True),
        Link("Events", "list_events", "site_id"),
        Link("WorkRecords", "list_work_records", "site_id"),
        Link("Exceptions", "list_exceptions", "site_id"),
        Link("Stats", "get_stats", "site_id"),
        Link("Reconcile", "post_reconcile", "site_id", in_body=True),
        Link("Roster", "post_roster", "site_id", in_body=True),
    ),
)
def post_site(body: SiteIn) -> ResponseReturnValue:
    principal = current_principal()
    prime_id = body.prime_company_id
    if principal.is_admin and prime_id is None:
        raise ValidationFailed.one("prime_company_id", "required")
    if not principal.is_admin:
        if prime_id is None:
            prime_id = principal.company_id
        if prime_id != principal.company_id:
            raise Forbidden("scope.prime_own_only")
    assert prime_id is not None
    session = db()
    site = create_site(
        session,
        name=body.name,
        site_code=body.site_code,
        prime_company_id=prime_id,
        dial_in_number=body.dial_in_number,
        ccus_site_id=body.ccus_site_id,
        contract_amount_yen=body.contract_amount_yen,
        answer_mode=body.answer_mode or "confirm",
        model_works=bool(body.model_works),
        actor=actor_of(principal),
    )
    session.commit()
    return answer(SiteOut.model_validate(site), 201)


@operation(
    "GET",
    "/sites",
    summary="the sites in the token's scope",
    roles=ALL_ADMINS,
    tag="registry",
    answers={200: ("the sites", list[SiteOut])},
)
def list_sites() -> ResponseReturnValue:
    return answer([SiteOut.model_validate(s) for s in sites_in_scope(db(), current_principal())])


def manageable_site(site_id: int) -> Site:
    """The site a body names, when the caller may manage it (403); none is a 422 on
    `site_id` (an id in a body is input)."""
    try:
        return site_or_raise(db(), current_principal(), site_id, manage=True)
    except NotFound:
        raise ValidationFailed.one("site_id", "not_found") from None


# ---------------------------------------------------------------- 施工体制


@operation(
    "POST",
    "/site-companies",
    summary="put a company into a site's 施工体制 (or move or confirm its edge)",
    roles=("admin", "prime_admin", "site_admin"),
    tag="registry",
    body=SiteCompanyIn,
    answers={201: ("the edge", EdgeOut)},
)
def post_site_company(body: SiteCompanyIn) -> ResponseReturnValue:
    site = manageable_site(body.site_id)
    session = db()
    edge = place_company(
        session,
        current_principal(),
        site.id,
        body.company_id,
        parent_company_id=body.parent_company_id,
        tier=body.tier,
        source="api",
    )
    session.commit()
    return answer(EdgeOut.model_validate(edge), 201)
