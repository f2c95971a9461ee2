"""The site's 施工体制 (contract tree): view it, confirm or correct companies that calls added
(unconfirmed), add a company under a parent, take a wrong one out.  Everyone who sees the
site sees the tree (it is posted on site anyway, 施工体系図); only managers change it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import form_int, remember_site, today
from voice_app.admin.i18n import translate
from voice_app.admin.scoping import company_choices, refusing, site_or_abort
from voice_app.admin.security import MANAGER_ROLES, current_principal, login_required
from voice_app.extensions import db
from workers_db.errors import ValidationFailed
from workers_db.structure import confirm_company, place_company, remove_company
from workers_db.structure_tree import (
    companies_in_tree,
    has_unconfirmed,
    load_tree,
    workers_today_by_company,
)


@bp.get("/sites/<int:site_id>/structure")
@login_required()
def structure(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    remember_site(site)
    session = db()
    roots = load_tree(session, site.id, workers_today_by_company(session, site.id, today()))
    in_tree = companies_in_tree(session, site.id)
    can_manage = current_principal().can_manage_site(session, site.id)
    addable = [c for c in company_choices() if c.id not in in_tree] if can_manage else []
    return render_template(
        "admin/structure.html",
        site=site,
        roots=roots,
        parents=in_tree,
        addable=addable,
        can_manage=can_manage,
        has_unconfirmed=has_unconfirmed(session, site.id),
    )


def _saved(site_id: int, flash_key: str) -> ResponseReturnValue:
    db().commit()
    flash(translate(flash_key), "ok")
    return redirect(url_for("admin.structure", site_id=site_id))


@bp.post("/sites/<int:site_id>/structure/add")
@login_required(*MANAGER_ROLES)
def structure_add(site_id: int) -> ResponseReturnValue:
    company_id = form_int("company_id")
    if company_id is None:
        abort(400)
    with refusing():
        try:
            place_company(
                db(),
                current_principal(),
                site_id,
                company_id,
                parent_company_id=form_int("parent_company_id"),
                source="admin",
            )
        except ValidationFailed:
            abort(400)
    return _saved(site_id, "flash.saved")


@bp.post("/sites/<int:site_id>/structure/<int:edge_id>")
@login_required(*MANAGER_ROLES)
def structure_confirm(site_id: int, edge_id: int) -> ResponseReturnValue:
    """Confirm a company (added by a call) under the chosen parent, or move it there."""
    with refusing():
        try:
            confirm_company(
                db(), current_principal(), site_id, edge_id, form_int("parent_company_id")
            )
        except ValidationFailed:
            abort(400)
    return _saved(site_id, "structure.confirmed_flash")


@bp.post("/sites/<int:site_id>/structure/<int:edge_id>/remove")
@login_required(*MANAGER_ROLES)
def structure_remove(site_id: int, edge_id: int) -> ResponseReturnValue:
    """Take a company out of the tree; its subcontractors move up to its parent."""
    with refusing():
        try:
            remove_company(db(), current_principal(), site_id, edge_id)
        except ValidationFailed:
            abort(400)
    return _saved(site_id, "flash.saved")
