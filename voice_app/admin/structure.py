"""The site's 施工体制 (contract tree): view it, confirm or correct companies that calls added
(unconfirmed), add a company under a parent, take a wrong one out.  Everyone who sees the
site sees the tree (it is posted on site anyway, 施工体系図); only managers change it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from voice_app.admin import bp
from voice_app.admin.common import form_int, remember_site, today
from voice_app.admin.i18n import translate
from voice_app.admin.scoping import company_choices, site_or_abort
from voice_app.admin.security import MANAGER_ROLES, actor, current_principal, login_required
from voice_app.admin.structure_data import (
    descendants,
    load_tree,
    recompute_tiers,
    workers_today_by_company,
)
from voice_app.extensions import db
from workers_db.audit import audit
from workers_db.models import Company, Site, SiteCompany
from workers_db.registration import add_site_company


@bp.get("/sites/<int:site_id>/structure")
@login_required()
def structure(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    remember_site(site)
    session = db()
    roots = load_tree(session, site.id, workers_today_by_company(session, site.id, today()))
    in_tree = dict(
        session.execute(
            select(SiteCompany.company_id, Company.name)
            .join(Company, Company.id == SiteCompany.company_id)
            .where(SiteCompany.site_id == site.id)
            .order_by(SiteCompany.tier.nulls_last(), Company.name)
        ).all()
    )
    unconfirmed = session.scalar(
        select(SiteCompany.id)
        .where(SiteCompany.site_id == site.id, SiteCompany.confirmed.is_(False))
        .limit(1)
    )
    can_manage = current_principal().can_manage_site(session, site.id)
    addable = [c for c in company_choices() if c.id not in in_tree] if can_manage else []
    return render_template(
        "admin/structure.html",
        site=site,
        roots=roots,
        parents=in_tree,
        addable=addable,
        can_manage=can_manage,
        has_unconfirmed=unconfirmed is not None,
    )


def _edge(site: Site, edge_id: int) -> SiteCompany:
    edge = db().get(SiteCompany, edge_id)
    if edge is None or edge.site_id != site.id:
        abort(404)
    return edge


def _valid_parent(site: Site, company_id: int, parent_id: int | None) -> int:
    """The parent must be in this site's tree and not the company or one under it."""
    parent_id = parent_id or site.prime_company_id
    in_tree = db().scalar(
        select(SiteCompany.id).where(
            SiteCompany.site_id == site.id, SiteCompany.company_id == parent_id
        )
    )
    if (
        in_tree is None
        or parent_id == company_id
        or parent_id in descendants(db(), site.id, company_id)
    ):
        abort(400)
    return parent_id


@bp.post("/sites/<int:site_id>/structure/add")
@login_required(*MANAGER_ROLES)
def structure_add(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id, manage=True)
    company_id = form_int("company_id")
    if company_id not in {c.id for c in company_choices()}:
        abort(403)
    assert company_id is not None
    parent_id = _valid_parent(site, company_id, form_int("parent_company_id"))
    add_site_company(
        db(), site.id, company_id, parent_company_id=parent_id, source="admin", confirmed=True
    )
    recompute_tiers(db(), site.id, site.prime_company_id)
    audit(
        db(),
        actor(),
        "structure_add",
        "site_company",
        company_id,
        site_id=site.id,
        parent_company_id=parent_id,
    )
    db().commit()
    flash(translate("flash.saved"), "ok")
    return redirect(url_for("admin.structure", site_id=site.id))


@bp.post("/sites/<int:site_id>/structure/<int:edge_id>")
@login_required(*MANAGER_ROLES)
def structure_confirm(site_id: int, edge_id: int) -> ResponseReturnValue:
    """Confirm a company (added by a call) under the chosen parent, or move it there."""
    site = site_or_abort(site_id, manage=True)
    edge = _edge(site, edge_id)
    if edge.company_id == site.prime_company_id:
        abort(400)
    parent_id = _valid_parent(site, edge.company_id, form_int("parent_company_id"))
    before = {"parent_company_id": edge.parent_company_id, "confirmed": edge.confirmed}
    edge.parent_company_id = parent_id
    edge.confirmed = True
    recompute_tiers(db(), site.id, site.prime_company_id)
    audit(
        db(),
        actor(),
        "structure_confirm",
        "site_company",
        edge.id,
        site_id=site.id,
        company_id=edge.company_id,
        parent_company_id=parent_id,
        tier=edge.tier,
        before=before,
    )
    db().commit()
    flash(translate("structure.confirmed_flash"), "ok")
    return redirect(url_for("admin.structure", site_id=site.id))


@bp.post("/sites/<int:site_id>/structure/<int:edge_id>/remove")
@login_required(*MANAGER_ROLES)
def structure_remove(site_id: int, edge_id: int) -> ResponseReturnValue:
    """Take a company out of the tree; its subcontractors move up to its parent."""
    site = site_or_abort(site_id, manage=True)
    edge = _edge(site, edge_id)
    if edge.company_id == site.prime_company_id:
        abort(400)
    for child in db().scalars(
        select(SiteCompany).where(
            SiteCompany.site_id == site.id, SiteCompany.parent_company_id == edge.company_id
        )
    ):
        child.parent_company_id = edge.parent_company_id or site.prime_company_id
    audit(
        db(),
        actor(),
        "structure_remove",
        "site_company",
        edge.id,
        site_id=site.id,
        company_id=edge.company_id,
        parent_company_id=edge.parent_company_id,
    )
    db().delete(edge)
    db().flush()
    recompute_tiers(db(), site.id, site.prime_company_id)
    db().commit()
    flash(translate("flash.saved"), "ok")
    return redirect(url_for("admin.structure", site_id=site.id))
