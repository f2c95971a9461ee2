"""Companies (事業者): list and search, create, edit, deactivate.

A company created by a prime or site admin joins one of their sites' 施工体制 at once (under
the prime unless a parent is chosen), otherwise it would fall out of their own scope.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import form_bool, form_int, problems_by_field, save_active_flag
from voice_app.admin.i18n import translate
from voice_app.admin.scoping import company_or_abort, visible_sites
from voice_app.admin.searches import search_text
from voice_app.admin.security import MANAGER_ROLES, actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.companies import active_worker_counts, company_page, edit_company, workers_of
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.models import Site
from workers_db.registration import create_company
from workers_db.structure import place_company

PAGE_SIZE = 200


@bp.get("/companies")
@login_required()
def companies() -> ResponseReturnValue:
    q = search_text()
    show_all = request.args.get("show") == "all"
    rows = company_page(db(), current_principal(), q, show_all, PAGE_SIZE)
    counts = active_worker_counts(db(), [c.id for c in rows])
    return render_template(
        "admin/companies.html",
        companies=rows,
        counts=counts,
        q=q,
        show_all=show_all,
        can_create=g.user.role in MANAGER_ROLES,
    )


def placement_sites() -> list[Site]:
    principal = current_principal()
    return [s for s in visible_sites(active_only=True) if principal.can_manage_site(db(), s.id)]


@bp.route("/companies/new", methods=["GET", "POST"])
@login_required(*MANAGER_ROLES)
def company_new() -> ResponseReturnValue:
    sites = placement_sites()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        site_id = form_int("site_id")
        if site_id is None and g.user.role != "admin":
            errors = problems_by_field([FieldProblem("site_id", "site.choose")])
        elif site_id is not None and site_id not in {s.id for s in sites}:
            abort(403)
        else:
            try:
                company = create_company(
                    db(),
                    request.form.get("name", ""),
                    ccus_business_id=request.form.get("ccus_business_id") or None,
                    sole_proprietor=form_bool("sole_proprietor"),
                    name_kana=request.form.get("name_kana") or None,
                    actor=actor(),
                    site_id=site_id,
                )
                if site_id is not None:
                    # the company was created by this user just now: they may place it
                    place_company(
                        db(),
                        current_principal(),
                        site_id,
                        company.id,
                        parent_company_id=form_int("parent_company_id"),
                        source="admin",
                    )
            except ValidationFailed as exc:
                db().rollback()
                errors = problems_by_field(exc.problems)
            else:
                db().commit()
                flash(translate("flash.saved"), "ok")
                return redirect(url_for("admin.companies"))
    return render_template(
        "admin/company_form.html",
        company=None,
        sites=sites,
        errors=errors,
        form=request.form if request.method == "POST" else None,
    )


@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
@login_required()
def company_edit(company_id: int) -> ResponseReturnValue:
    company = company_or_abort(company_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            edit_company(
                db(),
                company,
                name=request.form.get("name") or "",
                name_kana=request.form.get("name_kana"),
                ccus_business_id=request.form.get("ccus_business_id"),
                sole_proprietor=form_bool("sole_proprietor"),
                actor=actor(),
            )
        except ValidationFailed as exc:
            db().rollback()
            errors = problems_by_field(exc.problems)
        else:
            db().commit()
            flash(translate("flash.saved"), "ok")
            return redirect(url_for("admin.companies"))
    workers = workers_of(db(), company.id)
    return render_template(
        "admin/company_form.html",
        company=company,
        sites=[],
        errors=errors,
        workers=workers,
        form=request.form if request.method == "POST" else None,
    )


@bp.post("/companies/<int:company_id>/active")
@login_required(*MANAGER_ROLES)
def company_active(company_id: int) -> ResponseReturnValue:
    """Deactivate (or reactivate) a company; its rows and history stay."""
    company = company_or_abort(company_id)
    save_active_flag(company, "company", "company", name=company.name)
    return redirect(url_for("admin.company_edit", company_id=company.id))
