"""Today's board per site (入退場ボード) and 事後登録 (a missed day entered afterwards).

The page refreshes itself: `admin.js` fetches the `live` fragment every 30 seconds (and a
`<noscript>` meta refresh does the same without JavaScript).
"""

from __future__ import annotations

from datetime import datetime, time
from uuid import uuid4

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from jobs.board_progress import board_progress
from voice_app.admin import bp
from voice_app.admin.common import parse_date, remember_site, today
from voice_app.admin.i18n import translate
from voice_app.admin.picker import chosen_worker_id
from voice_app.admin.scoping import own_company_only, refusing, site_or_abort
from voice_app.admin.security import actor, current_principal, login_required
from voice_app.admin.stats_data import figure_label
from voice_app.extensions import db, settings
from workers_db.audit import audit
from workers_db.board import build_board
from workers_db.day_marks import board_marks
from workers_db.intake import raise_exception, record_event
from workers_db.models import EVENT_SOURCES, Site
from workers_db.scope import entry_worker_or_raise
from workers_db.worker_picker import any_worker_at_site, works_at_site_now

REFRESH_S = 30  # seconds between refreshes of the board; app config ADMIN_BOARD_REFRESH_S


def _board_context(site: Site) -> dict[str, object]:
    work_date = parse_date(request.args.get("date"), today())
    board = build_board(db(), site.id, work_date, only_company_id=own_company_only())
    return {
        "site": site,
        "board": board,
        "source_order": sorted(EVENT_SOURCES),  # each row's sources, in one order
        "marks": board_marks(db(), site.id, work_date, settings().tz),
        "is_today": work_date == today(),
        "refresh_s": int(current_app.config.get("ADMIN_BOARD_REFRESH_S", REFRESH_S)),
        "now": datetime.now(settings().tz),
    }


@bp.get("/sites/<int:site_id>/board")
@login_required()
def board(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    remember_site(site)
    context = _board_context(site)
    principal = current_principal()
    manual_possible = any_worker_at_site(db(), principal, site.id)
    # the strip is on the page, not in the 30-second fragment: fiscal-year figures move slowly;
    # a company_admin sees only its own workers, so no site-wide figures
    progress = (
        None
        if own_company_only() is not None
        else board_progress(
            db(),
            site,
            today=today(),
            tz=settings().tz,
            with_prime=principal.speaks_for_prime(site.prime_company_id),
        )
    )
    return render_template(
        "admin/board.html",
        manual_possible=manual_possible,
        progress=progress,
        figure_label=figure_label,
        **context,
    )


@bp.get("/sites/<int:site_id>/board/live")
@login_required()
def board_live(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    return render_template("admin/_board_body.html", **_board_context(site))


def _local(work_date_text: str, hhmm: str) -> datetime | None:
    try:
        day = parse_date(work_date_text, today())
        clock = time.fromisoformat(hhmm)
    except ValueError:
        return None
    return datetime.combine(day, clock, tzinfo=settings().tz)


@bp.post("/sites/<int:site_id>/manual")
@login_required()
def manual_entry(site_id: int) -> ResponseReturnValue:
    """事後登録: record a missed day as `manual` events; it counts once a manager approves it
    in the exceptions queue (`manual_pending`)."""
    with refusing():
        site, worker = entry_worker_or_raise(
            db(), current_principal(), site_id, chosen_worker_id(at_site_id=site_id) or 0
        )
    if not works_at_site_now(db(), site.id, worker):  # what the form's picker offers
        abort(403)
    worker_id = worker.id
    day = request.form.get("work_date") or today().isoformat()
    entered = _local(day, request.form.get("time_in") or "08:00")
    left = _local(day, request.form["time_out"]) if request.form.get("time_out") else None
    note = (request.form.get("note") or "").strip()
    if entered is None or (request.form.get("time_out") and left is None) or not note:
        flash(translate("manual.invalid"), "error")
        return redirect(url_for("admin.board", site_id=site.id, date=day))
    if entered.date() > today():
        flash(translate("manual.future"), "error")
        return redirect(url_for("admin.board", site_id=site.id))
    session = db()
    event_ids: list[int] = []
    for direction, moment in (("entry", entered), ("exit", left)):
        if moment is None:
            continue
        event = record_event(
            session,
            external_id=f"manual:{uuid4()}",
            source="manual",
            site_id=site.id,
            occurred_at=moment,
            tz=settings().tz,
            worker_id=worker_id,
            direction=direction,
            note=note,
        ).event
        event_ids.append(event.id)
        # the same exception reconciliation raises for an unapproved manual event
        raise_exception(
            session,
            kind="manual_pending",
            dedupe_key=f"manual_pending:{event.id}",
            site_id=site.id,
            worker_id=worker_id,
            event_id=event.id,
            work_date=event.work_date,
            detail={"note": note},
        )
    audit(
        session,
        actor(),
        "manual_entry",
        "event",
        event_ids[0],
        site_id=site.id,
        worker_id=worker_id,
        work_date=entered.date().isoformat(),
        event_ids=event_ids,
    )
    session.commit()
    flash(translate("manual.saved"), "ok")
    return redirect(url_for("admin.board", site_id=site.id, date=entered.date().isoformat()))
