"""Sites (現場): the list of the user's sites with today's numbers, creating one (admin, or a
prime_admin for their own company) and editing its settings (whoever manages the site)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from voice_app.admin import bp
from voice_app.admin.common import form_bool, problems_by_field, today
from voice_app.admin.i18n import translate
from voice_app.admin.scoping import site_or_abort, visible_sites
from voice_app.admin.security import actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.audit import audit
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.identifiers import InvalidIdentifier, normalize_ccus_id, normalize_phone
from workers_db.models import Company, Event, Site, WorkException
from workers_db.registration import create_site

SITE_FIELDS = ("name", "site_code", "dial_in_number", "ccus_site_id", "contract_amount_yen")


@bp.get("/sites")
@login_required()
def sites() -> ResponseReturnValue:
    rows = visible_sites()
    ids = [s.id for s in rows]
    heads: dict[int, int] = {}
    open_counts: dict[int | None, int] = {}
    if ids:
        for site_id, count in db().execute(
            select(Event.site_id, func.count(func.distinct(Event.worker_id)))
            .where(Event.site_id.in_(ids), Event.work_date == today())
            .group_by(Event.site_id)
        ):
            heads[site_id] = count
        for exc_site_id, count in db().execute(
            select(WorkException.site_id, func.count(WorkException.id))
            .where(WorkException.site_id.in_(ids), WorkException.status == "open")
            .group_by(WorkException.site_id)
        ):
            open_counts[exc_site_id] = count
    primes = (
        {
            c.id: c
            for c in db().scalars(
                select(Company).where(Company.id.in_({s.prime_company_id for s in rows}))
            )
        }
        if rows
        else {}
    )
    return render_template(
        "admin/sites.html",
        sites=rows,
        heads=heads,
        open_counts=open_counts,
        primes=primes,
        can_create=g.user.role in ("admin", "prime_admin"),
    )


def _prime_choices() -> list[Company]:
    principal = current_principal()
    stmt = select(Company).where(Company.active.is_(True)).order_by(Company.name)
    if principal.role != "admin":
        stmt = stmt.where(Company.id == principal.company_id)
    return list(db().scalars(stmt))


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
        problems: list[FieldProblem] = []
        changes = _site_changes(site, problems)
        if problems:
            errors = problems_by_field(problems)
        else:
            for key, value in changes.items():
                setattr(site, key, value)
            audit(
                db(),
                actor(),
                "edit_site",
                "site",
                site.id,
                changed=sorted(changes),
                site_code=site.site_code,
            )
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


def _site_changes(site: Site, problems: list[FieldProblem]) -> dict[str, object]:
    """Validated new values for the editable settings of a site."""
    form = request.form
    name = (form.get("name") or "").strip()
    if not name:
        problems.append(FieldProblem("name", "required"))
    dial_in = None
    if (form.get("dial_in_number") or "").strip():
        try:
            dial_in = normalize_phone(form["dial_in_number"])
        except InvalidIdentifier as exc:
            problems.append(exc.problem("dial_in_number"))
        other = db().scalar(
            select(Site.id).where(Site.dial_in_number == dial_in, Site.id != site.id)
        )
        if dial_in and other:
            problems.append(FieldProblem("dial_in_number", "dial_in.taken", {"value": dial_in}))
    ccus = None
    try:
        ccus = normalize_ccus_id(form.get("ccus_site_id"))
    except InvalidIdentifier as exc:
        problems.append(exc.problem("ccus_site_id"))
    if ccus and db().scalar(select(Site.id).where(Site.ccus_site_id == ccus, Site.id != site.id)):
        problems.append(FieldProblem("ccus_site_id", "already_registered", {"value": ccus}))
    amount = _amount(problems)
    mode = form.get("answer_mode", "confirm")
    if mode not in ("confirm", "reject"):
        problems.append(FieldProblem("answer_mode", "answer_mode"))
    return {
        "name": name,
        "dial_in_number": dial_in,
        "ccus_site_id": ccus,
        "registered_in_ccus": ccus is not None or form_bool("registered_in_ccus"),
        "contract_amount_yen": amount,
        "answer_mode": mode,
        "model_works": form_bool("model_works"),
        "active": form_bool("active"),
    }
