"""/api/v1 pre-registration: companies, sites and the 施工体制 edges (docs/api.md).

Workers and the roster (出面) are in `registry_workers`.  Scope is the one rule of
`workers_db.scope` (docs/scope.md), applied in the queries; a prime_admin creates sites only
with its own company as prime.  The 施工体制 changes are `workers_db.structure`'s.
Device tokens get 403 everywhere here (`require_token` without "device").
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask.typing import ResponseReturnValue

from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.api.payload import Payload
from voice_app.extensions import db
from workers_db.audit import actor_of
from workers_db.errors import NotFound, ValidationFailed
from workers_db.models import Company, Site, SiteCompany
from workers_db.registration import create_company, create_site
from workers_db.scope import site_or_raise
from workers_db.scope_lists import companies_in_scope, sites_in_scope
from workers_db.structure import place_company

ALL_ADMINS = ("admin", "prime_admin", "site_admin", "company_admin")


def company_json(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "name_kana": company.name_kana,
        "ccus_business_id": company.ccus_business_id,
        "sole_proprietor": company.sole_proprietor,
        "active": company.active,
    }


def site_json(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "site_code": site.site_code,
        "prime_company_id": site.prime_company_id,
        "dial_in_number": site.dial_in_number,
        "ccus_site_id": site.ccus_site_id,
        "registered_in_ccus": site.registered_in_ccus,
        "contract_amount_yen": site.contract_amount_yen,
        "answer_mode": site.answer_mode,
        "model_works": site.model_works,
        "reader_present": site.reader_present,
        "active": site.active,
    }


def edge_json(edge: SiteCompany) -> dict[str, Any]:
    return {
        "id": edge.id,
        "site_id": edge.site_id,
        "company_id": edge.company_id,
        "parent_company_id": edge.parent_company_id,
        "tier": edge.tier,
        "source": edge.source,
        "confirmed": edge.confirmed,
    }


# ---------------------------------------------------------------- companies


@bp.post("/companies")
@require_token("admin", "prime_admin", "site_admin")
def post_company() -> ResponseReturnValue:
    body = Payload.from_request()
    name = body.text("name", required=True)
    name_kana = body.text("name_kana")
    ccus = body.identifier("ccus_business_id")
    sole = body.boolean("sole_proprietor")
    body.check()
    assert name is not None
    session = db()
    company = create_company(
        session,
        name,
        ccus_business_id=ccus,
        sole_proprietor=sole,
        name_kana=name_kana,
        actor=actor_of(current_principal()),
    )
    session.commit()
    return jsonify(company_json(company)), 201


@bp.get("/companies")
@require_token(*ALL_ADMINS)
def list_companies() -> ResponseReturnValue:
    return jsonify([company_json(c) for c in companies_in_scope(db(), current_principal())])


# ---------------------------------------------------------------- sites


@bp.post("/sites")
@require_token("admin", "prime_admin")
def post_site() -> ResponseReturnValue:
    principal = current_principal()
    body = Payload.from_request()
    name = body.text("name", required=True)
    site_code = body.identifier("site_code", required=True)
    prime_id = body.integer("prime_company_id", required=principal.is_admin)
    dial_in = body.text("dial_in_number", max_length=40)
    ccus = body.identifier("ccus_site_id")
    amount = body.integer("contract_amount_yen", minimum=0)
    answer_mode = body.text("answer_mode", max_length=10) or "confirm"
    model_works = body.boolean("model_works")
    body.check()
    if not principal.is_admin:
        if prime_id is None:
            prime_id = principal.company_id
        if prime_id != principal.company_id:
            abort(403, "a prime_admin creates sites only with its own company as prime")
    assert name is not None and site_code is not None and prime_id is not None
    session = db()
    site = create_site(
        session,
        name=name,
        site_code=site_code,
        prime_company_id=prime_id,
        dial_in_number=dial_in,
        ccus_site_id=ccus,
        contract_amount_yen=amount,
        answer_mode=answer_mode,
        model_works=model_works,
        actor=actor_of(principal),
    )
    session.commit()
    return jsonify(site_json(site)), 201


@bp.get("/sites")
@require_token(*ALL_ADMINS)
def list_sites() -> ResponseReturnValue:
    return jsonify([site_json(s) for s in sites_in_scope(db(), current_principal())])


def manageable_site(site_id: int) -> Site:
    """The site a body names, when the caller may manage it (403); none is a 422 on
    `site_id` (an id in a body is input)."""
    try:
        return site_or_raise(db(), current_principal(), site_id, manage=True)
    except NotFound:
        raise ValidationFailed.one("site_id", "not_found") from None


# ---------------------------------------------------------------- 施工体制


@bp.post("/site-companies")
@require_token("admin", "prime_admin", "site_admin")
def post_site_company() -> ResponseReturnValue:
    body = Payload.from_request()
    site_id = body.integer("site_id", required=True)
    company_id = body.integer("company_id", required=True)
    parent_id = body.integer("parent_company_id")
    tier = body.integer("tier", minimum=1, maximum=9)
    body.check()
    assert site_id is not None and company_id is not None
    site = manageable_site(site_id)
    session = db()
    edge = place_company(
        session,
        current_principal(),
        site.id,
        company_id,
        parent_company_id=parent_id,
        tier=tier,
        source="api",
    )
    session.commit()
    return jsonify(edge_json(edge)), 201
