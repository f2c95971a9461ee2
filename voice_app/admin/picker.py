"""The worker picker behind every "choose a worker" field: `POST /admin/workers/pick` answers
the few workers matching what is typed (JSON), and `chosen_worker_id` reads the choice back.

The field is a search box (`worker_q`) with a hidden `worker_id`; admin.js fills a list of
suggestions as the user types and sets the id.  Without JavaScript, a search that finds exactly
one worker chooses it.  The text goes in the POST body, never in a URL (it may be a phone)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import form_int
from voice_app.admin.scoping import site_or_abort
from voice_app.admin.security import current_principal, login_required
from voice_app.extensions import db
from workers_db.worker_picker import pick_workers


@bp.post("/workers/pick")
@login_required()
def worker_pick() -> ResponseReturnValue:
    """`q`, and `site_id` to offer only workers of companies at that site (事後登録)."""
    site_id = form_int("site_id")
    if site_id is not None:
        site_or_abort(site_id)
    picks = pick_workers(db(), current_principal(), request.form.get("q") or "", at_site_id=site_id)
    return jsonify({"workers": [{"id": p.id, "label": p.label} for p in picks]})


def chosen_worker_id(at_site_id: int | None = None) -> int | None:
    """The worker a picker field chose: its `worker_id`, else the one worker its search text
    (`worker_q`) finds; None when there is no single answer."""
    chosen = form_int("worker_id")
    if chosen is not None:
        return chosen
    picks = pick_workers(
        db(),
        current_principal(),
        request.form.get("worker_q") or "",
        at_site_id=at_site_id,
        limit=2,
    )
    return picks[0].id if len(picks) == 1 else None
