"""/api/v1 pre-registration: companies, sites and the 施工体制 edges (docs/api.md).

Workers and the roster (出面) are in `registry_workers`.  Scope follows
`Principal`: an admin everything; a prime_admin creates sites only with its own company as
prime and sees its sites; a site_admin its one site; a company_admin its own company.
Device tokens get 403 everywhere here (`require_token` without "device").
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.api.payload import Payload
from voice_app.extensions import db
from voice_app.scope import Principal
from workers_db.audit import audit
from workers_db.errors import ValidationFailed
from workers_db.models import Company, Site, SiteCompany
from workers_db.registration import add_site_company, create_company, create_site

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


def actor_of(principal: Principal) -> str:
    return f"api:{principal.role}:{principal.token_id or principal.user_id or principal.name}"


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
        session, name, ccus_business_id=ccus, sole_proprietor=sole, name_kana=name_kana
    )
    audit(session, actor_of(current_principal()), "create", "company", company.id)
    session.commit()
    return jsonify(company_json(company)), 201


@bp.get("/companies")
@require_token(*ALL_ADMINS)
def list_companies() -> ResponseReturnValue:
    session = db()
    query = select(Company).order_by(Company.id)
    visible = current_principal().visible_company_ids(session)
    if visible is not None:
        query = query.where(Company.id.in_(visible))
    return jsonify([company_json(c) for c in session.scalars(query)])


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
    )
    audit(session, actor_of(principal), "create", "site", site.id)
    session.commit()
    return jsonify(site_json(site)), 201


@bp.get("/sites")
@require_token(*ALL_ADMINS)
def list_sites() -> ResponseReturnValue:
    session = db()
    query = select(Site).order_by(Site.id)
    visible = current_principal().visible_site_ids(session)
    if visible is not None:
        query = query.where(Site.id.in_(visible))
    return jsonify([site_json(s) for s in session.scalars(query)])


def manageable_site(site_id: int) -> Site:
    """The site, when it exists (else 422: a body names it) and the caller may manage it."""
    session = db()
    site = session.get(Site, site_id)
    if site is None:
        raise ValidationFailed.one("site_id", f"no site with id {site_id}")
    if not current_principal().can_manage_site(session, site_id):
        abort(403, f"site {site_id} is outside this token's scope")
    return site


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
    if company_id == site.prime_company_id:
        raise ValidationFailed.one(
            "company_id", "the prime contractor is the root of its own site's structure"
        )
    edges = {
        e.company_id: e
        for e in session.scalars(select(SiteCompany).where(SiteCompany.site_id == site.id))
    }
    parent_id = site.prime_company_id if parent_id is None else parent_id
    parent = edges.get(parent_id)
    if parent is None:
        raise ValidationFailed.one(
            "parent_company_id",
            f"company {parent_id} is not in site {site.id}'s structure yet; add it first",
        )
    expected = parent.tier + 1 if parent.tier is not None else None
    if tier is None:
        tier = expected
    elif expected is not None and tier != expected:
        raise ValidationFailed.one(
            "tier",
            f"company {parent_id} is tier {parent.tier} here, so its subcontractor is "
            f"tier {expected}",
        )
    edge = add_site_company(
        session, site.id, company_id, parent_company_id=parent_id, tier=tier, source="api"
    )
    audit(
        session,
        actor_of(current_principal()),
        "structure",
        "site_company",
        edge.id,
        site_id=site.id,
        company_id=company_id,
        parent_company_id=parent_id,
        tier=tier,
    )
    session.commit()
    return jsonify(edge_json(edge)), 201
