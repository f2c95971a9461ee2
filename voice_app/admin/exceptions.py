"""The exceptions queue (例外): one-click resolutions with reason codes, linking an unknown
phone or card to a worker, approving 事後登録 — each audited (`workers_db.resolutions`)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from voice_app.admin import bp
from voice_app.admin.common import problems_by_field
from voice_app.admin.i18n import field_label, problem_text, translate
from voice_app.admin.paging import cut, requested_page
from voice_app.admin.picker import chosen_worker_id
from voice_app.admin.scoping import site_ids_in_scope, site_or_abort
from voice_app.admin.security import MANAGER_ROLES, actor, current_principal, login_required
from voice_app.admin.worker_ops import link_card_to, link_phone_to
from voice_app.extensions import db, settings
from workers_db.day_resolutions import resolve_site_hop, set_forgotten_exit
from workers_db.errors import NotFound, ValidationFailed
from workers_db.models import EXCEPTION_KINDS, Event, Site, Worker, WorkException
from workers_db.resolutions import REASON_CODES, approve_manual_event, resolve_exception

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


def _scoped(stmt: Any) -> Any:
    ids = site_ids_in_scope()
    return stmt if ids is None else stmt.where(WorkException.site_id.in_(ids))


@bp.get("/exceptions")
@login_required(*MANAGER_ROLES)
def exceptions() -> ResponseReturnValue:
    site_id = request.args.get("site_id", type=int)
    status = request.args.get("status", "open")
    kind = request.args.get("kind") or None
    site = site_or_abort(site_id, manage=True) if site_id else None
    stmt = _scoped(select(WorkException))
    if site is not None:
        stmt = stmt.where(WorkException.site_id == site.id)
    if status in ("open", "resolved"):
        stmt = stmt.where(WorkException.status == status)
    if kind in EXCEPTION_KINDS:
        stmt = stmt.where(WorkException.kind == kind)
    total = db().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = WorkException.created_at.desc() if status == "resolved" else WorkException.created_at
    page = requested_page(PAGE_SIZE)
    stmt = stmt.order_by(order, WorkException.id).offset(page.offset).limit(page.fetch)
    rows, page = cut(page, list(db().scalars(stmt)))
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
        context=_context(rows),
        page=page,
    )


def _context(rows: list[WorkException]) -> dict[str, dict[int, Any]]:
    """Sites, workers and events the listed exceptions refer to, in three queries."""
    session = db()
    others = {hop["other_site_id"] for r in rows for hop in r.detail.get("hops", [])}
    visible = site_ids_in_scope()
    if visible is not None:  # another prime's site is "another site", unnamed
        others &= set(visible)
    site_ids = {r.site_id for r in rows if r.site_id} | others
    worker_ids = {r.worker_id for r in rows if r.worker_id}
    event_ids = {r.event_id for r in rows if r.event_id}
    return {
        "sites": {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))},
        "workers": {
            w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(worker_ids)))
        },
        "events": {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(event_ids)))},
        "moments": {r.id: _moments(r.detail) for r in rows},
    }


def _moments(detail: dict[str, Any]) -> dict[str, Any]:
    """The times a day-rule exception's detail names (ISO text), as datetimes to show: the
    next record after a forgotten exit, and each site hop (here, there)."""

    def at(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return {
        "next_at": at(detail.get("next_at")),
        "hops": [
            (h["other_site_id"], at(h["at"]), at(h["other_at"])) for h in detail.get("hops", [])
        ],
    }


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


def _event_value(row: WorkException, attribute: str, detail_keys: tuple[str, ...]) -> str | None:
    event = db().get(Event, row.event_id) if row.event_id else None
    value = getattr(event, attribute, None) if event is not None else None
    for key in detail_keys:
        value = value or row.detail.get(key)
    return str(value) if value else None


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
            value = _event_value(row, "caller_e164", ("caller_e164", "caller", "from", "phone"))
            if value is None:
                raise ValidationFailed.one("phone", "phone.none_recorded")
            link_phone_to(db(), value, worker.id, actor())
            reason = "phone_not_linked"
        elif row.kind == "unknown_card":
            value = _event_value(row, "card_uid", ("card_uid", "uid"))
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
    same_day = (
        list(
            db().scalars(
                select(WorkException).where(
                    WorkException.kind == "manual_pending",
                    WorkException.status == "open",
                    WorkException.site_id == row.site_id,
                    WorkException.worker_id == row.worker_id,
                    WorkException.work_date == row.work_date,
                    WorkException.event_id.is_not(None),
                )
            )
        )
        if row.worker_id is not None
        else []
    )
    try:
        for pending in same_day or [row]:
            assert pending.event_id is not None
            approve_manual_event(db(), pending.event_id, actor())
            resolve_exception(db(), pending.id, "confirmed_correct", actor(), note="approved")
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
