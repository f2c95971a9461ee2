"""Workers (技能者) with their phones and cards: list and search, create, edit, deactivate,
add or remove a phone, add or deactivate a card; phone and card look-up pages."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from voice_app.admin import bp
from voice_app.admin.common import (
    form_bool,
    form_int,
    problems_by_field,
    save_active_flag,
    today,
)
from voice_app.admin.i18n import translate
from voice_app.admin.paging import cut, requested_page
from voice_app.admin.scoping import (
    company_choices,
    site_ids_in_scope,
    worker_or_abort,
)
from voice_app.admin.searches import search_text
from voice_app.admin.security import actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.enrollment import LinkResult
from workers_db.errors import ValidationFailed
from workers_db.models import Card, Event, Phone, Site, Worker
from workers_db.phones_cards import card_owners, phone_owners, phones_of, recent_events
from workers_db.registration import LANGUAGES, create_worker
from workers_db.search import worker_page
from workers_db.worker_edit import link_card_to, link_phone_to, remove_phone, worker_changes
from workers_db.worker_month import month_figures

RECENT_EVENTS = 20


@bp.get("/workers")
@login_required()
def workers() -> ResponseReturnValue:
    q = search_text()
    company_id = request.args.get("company_id", type=int)
    show_all = request.args.get("show") == "all"
    page = requested_page()
    rows, page = cut(
        page,
        worker_page(
            db(),
            current_principal(),
            q,
            company_id=company_id,
            show_all=show_all,
            limit=page.fetch,
            offset=page.offset,
        ),
    )
    ids = [w.id for w, _ in rows]
    phones = phones_of(db(), ids)
    day = today()  # this month so far, at the sites the login sees: what key 4 reads back
    month = month_figures(db(), ids, day.replace(day=1), day, site_ids_in_scope())
    return render_template(
        "admin/workers.html",
        rows=rows,
        phones=phones,
        month=month,
        q=q,
        company_id=company_id,
        show_all=show_all,
        page=page,
    )


def _split(cell: str | None) -> list[str]:
    return [p.strip() for p in (cell or "").replace("；", ";").split(";") if p.strip()]


@bp.route("/workers/new", methods=["GET", "POST"])
@login_required()
def worker_new() -> ResponseReturnValue:
    companies = company_choices()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        company_id = form_int("company_id")
        if company_id not in {c.id for c in companies}:
            abort(403)
        try:
            worker = create_worker(
                db(),
                name=request.form.get("name", ""),
                company_id=company_id,
                name_kana=request.form.get("name_kana") or None,
                ccus_worker_id=request.form.get("ccus_worker_id") or None,
                phones=_split(request.form.get("phones")),
                card_uids=_split(request.form.get("card_uids")),
                language=request.form.get("language") or "ja",
                pin=request.form.get("pin") or None,
                kentaikyo=form_bool("kentaikyo"),
                card_level=form_int("card_level"),
                actor=actor(),
            )
        except ValidationFailed as exc:
            db().rollback()
            errors = problems_by_field(exc.problems)
        else:
            db().commit()
            flash(translate("workers.created", name=worker.name), "ok")
            return redirect(url_for("admin.worker_edit", worker_id=worker.id))
    preset = request.args.get("company_id", type=int)
    return render_template(
        "admin/worker_form.html",
        worker=None,
        companies=companies,
        errors=errors,
        languages=LANGUAGES,
        preset_company=preset,
        form=request.form if request.method == "POST" else None,
    )


@bp.route("/workers/<int:worker_id>", methods=["GET", "POST"])
@login_required()
def worker_edit(worker_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    companies = company_choices()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if form_int("company_id") not in {c.id for c in companies}:
            abort(403)
        try:
            worker_changes(db(), worker, request.form, actor())
        except ValidationFailed as exc:
            errors = problems_by_field(exc.problems)
        else:
            db().commit()
            flash(translate("flash.saved"), "ok")
            return redirect(url_for("admin.worker_edit", worker_id=worker.id))
    return render_template(
        "admin/worker_form.html",
        worker=worker,
        companies=companies,
        errors=errors,
        languages=LANGUAGES,
        preset_company=None,
        events=_recent_events(worker),
        form=request.form if request.method == "POST" else None,
    )


def _recent_events(worker: Worker) -> list[tuple[Event, Site]]:
    return recent_events(db(), worker.id, current_principal(), RECENT_EVENTS)


@bp.post("/workers/<int:worker_id>/active")
@login_required()
def worker_active(worker_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    save_active_flag(worker, "worker", "worker", name=worker.name)
    return redirect(url_for("admin.worker_edit", worker_id=worker.id))


@bp.post("/workers/<int:worker_id>/phones")
@login_required()
def worker_phone_add(worker_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    e164 = _linked(link_phone_to, request.form.get("phone", ""), worker.id)
    if e164 is not None:
        flash(translate("workers.phone_added", phone=e164), "ok")
    return redirect(url_for("admin.worker_edit", worker_id=worker.id))


def _linked(
    link: Callable[[Session, str, int, str], LinkResult], value: str, worker_id: int
) -> str | None:
    """Link a phone or card to the worker and commit; on bad input, flash every problem,
    roll back and answer None."""
    try:
        identifier = link(db(), value, worker_id, actor()).identifier
    except ValidationFailed as exc:
        db().rollback()
        for messages in problems_by_field(exc.problems).values():
            for message in messages:
                flash(message, "error")
        return None
    db().commit()
    return identifier


@bp.post("/workers/<int:worker_id>/phones/<int:phone_id>/delete")
@login_required()
def worker_phone_delete(worker_id: int, phone_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    phone = db().get(Phone, phone_id)
    if phone is None or phone.worker_id != worker.id:
        abort(404)
    remove_phone(db(), phone, actor())
    db().commit()
    flash(translate("flash.saved"), "ok")
    return redirect(url_for("admin.worker_edit", worker_id=worker.id))


@bp.post("/workers/<int:worker_id>/cards")
@login_required()
def worker_card_add(worker_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    uid = _linked(link_card_to, request.form.get("card_uid", ""), worker.id)
    if uid is not None:
        flash(translate("workers.card_added", uid=uid), "ok")
    return redirect(url_for("admin.worker_edit", worker_id=worker.id))


@bp.post("/workers/<int:worker_id>/cards/<int:card_id>/active")
@login_required()
def worker_card_active(worker_id: int, card_id: int) -> ResponseReturnValue:
    worker = worker_or_abort(worker_id)
    card = db().get(Card, card_id)
    if card is None or card.worker_id != worker.id:
        abort(404)
    save_active_flag(card, "card", "card", worker_id=worker.id, uid=card.uid)
    return redirect(url_for("admin.worker_edit", worker_id=worker.id))


@bp.get("/phones")
@login_required()
def phones() -> ResponseReturnValue:
    """Who owns a phone number (any spelling) — or every registered phone in scope."""
    q = search_text()
    page = requested_page()
    rows, page = cut(page, phone_owners(db(), q, current_principal(), page.fetch, page.offset))
    return render_template(
        "admin/lookup.html", kind="phones", rows=rows, q=q, problem=None, page=page
    )


@bp.get("/cards")
@login_required()
def cards() -> ResponseReturnValue:
    q = search_text()
    page = requested_page()
    rows, page = cut(page, card_owners(db(), q, current_principal(), page.fetch, page.offset))
    return render_template(
        "admin/lookup.html", kind="cards", rows=rows, q=q, problem=None, page=page
    )
