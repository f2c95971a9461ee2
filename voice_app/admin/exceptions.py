"""The exceptions queue (例外): one-click resolutions with reason codes, linking an unknown
phone or card to a worker, approving 事後登録 — each audited (`workers_db.resolutions`)."""

from __future__ import annotations

from datetime import datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import problems_by_field
from voice_app.admin.i18n import field_label, problem_text, translate
from voice_app.admin.paging import cut, requested_page
from voice_app.admin.picker import chosen_worker_id
from voice_app.admin.scoping import site_ids_in_scope, site_or_abort
from voice_app.admin.security import MANAGER_ROLES, actor, current_principal, login_required
from voice_app.extensions import db, settings
from workers_db.day_resolutions import resolve_site_hop, set_forgotten_exit
from workers_db.errors import NotFound, ValidationFailed
from workers_db.exception_queue import (
    approve_manual_day,
    exception_context,
    exception_page,
    recorded_value,
)
from workers_db.models import EXCEPTION_KINDS, Worker, WorkException
from workers_db.resolutions import REASON_CODES, resolve_exception
from workers_db.worker_edit import link_card_to, link_phone_to

PAGE_SIZE = 100
# The reasons offered as one-click buttons per kind (every reason stays in the full list).
SUGGESTED: dict[str, tuple[str, ...]] = {
    "unknown_caller": ("phone_not_linked", "data_entry_error"),
    "withheld_caller": ("caller_id_withheld",),
    "unknown_card": ("card_not_registered", "data_entry_error"),
    "no_exit": ("left_without_exit", "confirmed_correct"),
    "overlapping_sites": (),  # keep or drop this site's day (exception_hop)
    "clock_unsynced": ("reader_broken", "confirmed_correct"),
    "company_not_in_structure": ("confirmed_correct",),
    "manual_pending": (),
    "spool_replayed": ("no_network", "confirmed_correct"),
    "correction_requested": ("data_entry_error", "confirmed_correct"),
}


@bp.get("/exceptions")
@login_required(*MANAGER_ROLES)
def exceptions() -> ResponseReturnValue:
    site_id = request.args.get("site_id", type=int)
    status = request.args.get("status", "open")
    kind = request.args.get("kind") or None
    site = site_or_abort(site_id, manage=True) if site_id else None
    page = requested_page(PAGE_SIZE)
    found, total = exception_page(
        db(),
        site_ids=site_ids_in_scope(),
        site_id=site.id if site is not None else None,
        status=status,
        kind=kind,
        limit=page.fetch,
        offset=page.offset,
    )
    rows, page = cut(page, found)
    return render_template(
        "admin/exceptions.html",
        rows=rows,
        total=total,
        site=site,
        status=status,
        kind=kind,
        kinds=EXCEPTION_KINDS,
        reasons=REASON_CODES,
        suggested=SUGGESTED,
        context=exception_context(db(), rows, site_ids_in_scope()),
        page=page,
    )


def _exception_or_abort(exception_id: int) -> WorkException:
    row = db().get(WorkException, exception_id)
    if row is None:
        abort(404)
    if row.site_id is None:
        if not current_principal().is_admin:
            abort(403)
    else:
        site_or_abort(row.site_id, manage=True)
    return row


def _back(row: WorkException) -> ResponseReturnValue:
    target = request.form.get("back") or ""
    if target.startswith("/admin/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("admin.exceptions", site_id=row.site_id))


def _flash_problems(exc: ValidationFailed) -> None:
    for field, messages in problems_by_field(exc.problems).items():
        for message in messages:
            flash(f"{field_label(field)}: {message}", "error")


@bp.post("/exceptions/<int:exception_id>/resolve")
@login_required(*MANAGER_ROLES)
def exception_resolve(exception_id: int) -> ResponseReturnValue:
    row = _exception_or_abort(exception_id)
    try:
        resolve_exception(
            db(),
            row.id,
            request.form.get("reason_code", ""),
            actor(),
            note=request.form.get("note"),
        )
    except ValidationFailed as exc:
        db().rollback()
        _flash_problems(exc)
        return _back(row)
    db().commit()
    flash(translate("exceptions.resolved_flash"), "ok")
    return _back(row)


@bp.post("/exceptions/<int:exception_id>/link")
@login_required(*MANAGER_ROLES)
def exception_link(exception_id: int) -> ResponseReturnValue:
    """Link the unknown phone or card of this exception to a worker, then resolve it."""
    row = _exception_or_abort(exception_id)
    worker_id = chosen_worker_id()
    worker = db().get(Worker, worker_id) if worker_id else None
    if worker is None:
        abort(404)
    if not current_principal().can_see_worker(db(), worker):
        abort(403)
    try:
        if row.kind == "unknown_caller":
            value = recorded_value(
                db(), row, "caller_e164", ("caller_e164", "caller", "from", "phone")
            )
            if value is None:
                raise ValidationFailed.one("phone", "phone.none_recorded")
            link_phone_to(db(), value, worker.id, actor())
            reason = "phone_not_linked"
        elif row.kind == "unknown_card":
            value = recorded_value(db(), row, "card_uid", ("card_uid", "uid"))
            if value is None:
                raise ValidationFailed.one("card_uid", "card.none_recorded")
            link_card_to(db(), value, worker.id, actor())
            reason = "card_not_registered"
        else:
            abort(400)
        # enrollment resolves the exceptions about this identifier; this one in any case
        resolve_exception(db(), row.id, reason, actor(), note=f"linked to worker {worker.id}")
    except ValidationFailed as exc:
        db().rollback()
        _flash_problems(exc)
        return _back(row)
    except NotFound as exc:
        db().rollback()
        flash(problem_text(exc), "error")
        return _back(row)
    db().commit()
    flash(translate("exceptions.linked_flash", name=worker.name), "ok")
    return _back(row)


@bp.post("/exceptions/<int:exception_id>/approve")
@login_required(*MANAGER_ROLES)
def exception_approve(exception_id: int) -> ResponseReturnValue:
    """Approve a 事後登録: the worker's pending manual events of that day at that site (its
    entry and exit) count from now on."""
    row = _exception_or_abort(exception_id)
    if row.kind != "manual_pending" or row.event_id is None:
        abort(400)
    try:
        approve_manual_day(db(), row, actor())
    except ValidationFailed as exc:
        db().rollback()
        _flash_problems(exc)
        return _back(row)
    except NotFound as exc:
        db().rollback()
        flash(problem_text(exc), "error")
        return _back(row)
    db().commit()
    flash(translate("exceptions.approved_flash"), "ok")
    return _back(row)


@bp.post("/exceptions/<int:exception_id>/exit-time")
@login_required(*MANAGER_ROLES)
def exception_exit_time(exception_id: int) -> ResponseReturnValue:
    """Set the exit time of a forgotten exit (`no_exit`) on the entry's work date."""
    row = _exception_or_abort(exception_id)
    if row.kind != "no_exit" or row.work_date is None:
        abort(400)
    try:
        at = time.fromisoformat((request.form.get("exit_time") or "").strip())
    except ValueError:
        flash(translate("exceptions.bad_time"), "error")
        return _back(row)
    tz = settings().tz
    try:
        set_forgotten_exit(
            db(), row.id, datetime.combine(row.work_date, at, tzinfo=tz), actor(), tz
        )
    except ValidationFailed as exc:
        db().rollback()
        _flash_problems(exc)
        return _back(row)
    db().commit()
    flash(translate("exceptions.exit_set_flash"), "ok")
    return _back(row)


@bp.post("/exceptions/<int:exception_id>/hop")
@login_required(*MANAGER_ROLES)
def exception_hop(exception_id: int) -> ResponseReturnValue:
    """Keep (`keep=1`) or drop this site's day of an `overlapping_sites` exception."""
    row = _exception_or_abort(exception_id)
    if row.kind != "overlapping_sites":
        abort(400)
    resolve_site_hop(db(), row.id, request.form.get("keep") == "1", actor())
    db().commit()
    flash(translate("exceptions.hop_flash"), "ok")
    return _back(row)
