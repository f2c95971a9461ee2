"""Forms for the documents' fields (docs/documents.md): a worker's roster fields (on the
worker's page), 工種・主任技術者・工期 of each company at a site (on the 施工体系図 page) and
受入教育実施日 (on the site's 書類 page).  The rules and the checks are `workers_db.profile`;
the roster fields follow the worker's scope (as phones do), the site's fields need a manager.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.i18n import field_label, problem_text, translate
from voice_app.admin.scoping import site_or_abort, worker_or_abort
from voice_app.admin.security import MANAGER_ROLES, actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.errors import ValidationFailed
from workers_db.models import SiteCompany
from workers_db.profile import (
    SITE_COMPANY_FIELDS,
    WORKER_FIELDS,
    set_site_company_works,
    set_site_worker,
    set_worker_profile,
)


def _save(change: Callable[[], object]) -> None:
    """Run the change and commit with 「保存しました」, or roll back and flash each problem."""
    session = db()
    try:
        change()
    except ValidationFailed as exc:
        session.rollback()
        for problem in exc.problems:
            flash(f"{field_label(problem.field)}: {problem_text(problem)}", "error")
    else:
        session.commit()
        flash(translate("flash.saved"), "ok")


@bp.post("/workers/<int:worker_id>/profile")
@login_required()
def worker_profile(worker_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    raw = {f.name: request.form.get(f.name, "") for f in WORKER_FIELDS}
    _save(lambda: set_worker_profile(db(), worker, raw, actor()))
    return redirect(url_for("admin.worker_edit", worker_id=worker.id) + "#profile")


@bp.post("/sites/<int:site_id>/structure/<int:edge_id>/works")
@login_required(*MANAGER_ROLES)
def site_company_works(site_id: int, edge_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id, manage=True)
    session = db()
    edge = session.get(SiteCompany, edge_id)
    if edge is None or edge.site_id != site.id:
        abort(404)
    if not current_principal().can_manage_company(session, edge.company_id):
        abort(403)  # an unconfirmed company (a call added it): confirm it first
    raw = {f.name: request.form.get(f.name, "") for f in SITE_COMPANY_FIELDS}
    _save(lambda: set_site_company_works(session, edge, raw, actor()))
    return redirect(url_for("admin.structure_chart", site_id=site.id) + "#works")


@bp.post("/sites/<int:site_id>/inductions")
@login_required(*MANAGER_ROLES)
def site_inductions(site_id: int) -> ResponseReturnValue:
    """受入教育実施日 of one worker at the site (`worker_id`, `induction_on`)."""
    site = site_or_abort(site_id, manage=True)
    worker = worker_or_abort(request.form.get("worker_id", type=int) or 0)
    raw = {"induction_on": request.form.get("induction_on", "")}
    _save(lambda: set_site_worker(db(), site.id, worker, raw, actor()))
    month = request.form.get("month") or ""
    return redirect(url_for("admin.documents", site_id=site.id, month=month) + "#inductions")
