"""Sites (現場): the list of the user's sites with today's numbers, creating one (admin, or a
prime_admin for their own company) and editing its settings (whoever manages the site)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import form_bool, problems_by_field, today
from voice_app.admin.i18n import translate
from voice_app.admin.scoping import site_or_abort, visible_sites
from voice_app.admin.security import actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.models import Company
from workers_db.registration import create_site
from workers_db.sites import (
    companies_by_id,
    edit_site,
    open_exceptions_per_site,
    prime_choices,
    workers_today,
)


@bp.get("/sites")
@login_required()
def sites() -> ResponseReturnValue:
    rows = visible_sites()
    ids = [s.id for s in rows]
    return render_template(
        "admin/sites.html",
        sites=rows,
        heads=workers_today(db(), ids, today()),
        open_counts=open_exceptions_per_site(db(), ids),
        primes=companies_by_id(db(), {s.prime_company_id for s in rows}),
        can_create=g.user.role in ("admin", "prime_admin"),
    )


def _prime_choices() -> list[Company]:
    principal = current_principal()
    return prime_choices(db(), None if principal.role == "admin" else principal.company_id)


def _amount(problems: list[FieldProblem]) -> int | None:
    raw = (request.form.get("contract_amount_yen") or "").replace(",", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        problems.append(FieldProblem("contract_amount_yen", "contract_amount"))
        return None
    return int(raw)


@bp.route("/sites/new", methods=["GET", "POST"])
@login_required("admin", "prime_admin")
def site_new() -> ResponseReturnValue:
    primes = _prime_choices()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        problems: list[FieldProblem] = []
        amount = _amount(problems)
        prime_id = int(request.form.get("prime_company_id") or 0)
        if prime_id not in {c.id for c in primes}:
            abort(403)
        try:
            if problems:
                raise ValidationFailed(problems)
            site = create_site(
                db(),
                name=request.form.get("name", ""),
                site_code=request.form.get("site_code", ""),
                prime_company_id=prime_id,
                dial_in_number=request.form.get("dial_in_number") or None,
                ccus_site_id=request.form.get("ccus_site_id") or None,
                contract_amount_yen=amount,
                answer_mode=request.form.get("answer_mode", "confirm"),
                model_works=form_bool("model_works"),
                actor=actor(),
            )
        except ValidationFailed as exc:
            db().rollback()
            errors = problems_by_field(exc.problems)
        else:
            db().commit()
            flash(translate("flash.saved"), "ok")
            return redirect(url_for("admin.board", site_id=site.id))
    return render_template(
        "admin/site_form.html", site=None, primes=primes, errors=errors, form=request.form
    )


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@login_required("admin", "prime_admin", "site_admin")
def site_edit(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id, manage=True)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        problems: list[FieldProblem] = []
        amount = _amount(problems)
        try:
            edit_site(
                db(),
                site,
                name=form.get("name") or "",
                dial_in_number=form.get("dial_in_number"),
                ccus_site_id=form.get("ccus_site_id"),
                contract_amount_yen=amount,
                answer_mode=form.get("answer_mode", "confirm"),
                model_works=form_bool("model_works"),
                registered_in_ccus=form_bool("registered_in_ccus"),
                active=form_bool("active"),
                actor=actor(),
                problems=problems,
            )
        except ValidationFailed as exc:
            db().rollback()
            errors = problems_by_field(exc.problems)
        else:
            db().commit()
            flash(translate("flash.saved"), "ok")
            return redirect(url_for("admin.sites"))
    return render_template(
        "admin/site_form.html",
        site=site,
        primes=[],
        errors=errors,
        form=request.form if request.method == "POST" else None,
    )
