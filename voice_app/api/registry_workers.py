"""/api/v1 workers (with their phones and cards) and the roster (出面) entered by a site admin.

Two workers never own the same phone or card: `create_worker` checks first, and the unique
constraints decide a race between two requests (the loser gets 422, field `phones` or
`card_uids`).  A roster entry is an `Event` with source `roster` and external id
`roster:{site_id}:{worker_id}:{work_date}`, so posting it twice records it once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.api.payload import Payload, query_int
from voice_app.api.registry import ALL_ADMINS, manageable_site
from voice_app.extensions import db, settings
from workers_db.audit import actor_of, audit
from workers_db.errors import NotFound, ValidationFailed
from workers_db.intake import record_event
from workers_db.models import Worker
from workers_db.registration import create_worker
from workers_db.scope import company_or_raise, entry_worker_or_raise, worker_or_raise
from workers_db.scope_lists import workers_in_scope

DEFAULT_LIMIT = 1_000
MAX_LIMIT = 10_000
ROSTER_HOUR = 12  # a roster day has no times: its event stands at noon of that date
# create_worker names an owned phone/card by the singular; the request's fields are lists.
_REQUEST_FIELDS = {"phone": "phones", "card_uid": "card_uids"}


def worker_json(worker: Worker) -> dict[str, Any]:
    return {
        "id": worker.id,
        "name": worker.name,
        "name_kana": worker.name_kana,
        "company_id": worker.company_id,
        "ccus_worker_id": worker.ccus_worker_id,
        "phones": sorted(p.e164 for p in worker.phones),
        "card_uids": sorted(c.uid for c in worker.cards),
        "language": worker.language,
        "has_pin": worker.pin_hash is not None,
        "kentaikyo": worker.kentaikyo,
        "card_level": worker.card_level,
        "active": worker.active,
    }


@bp.post("/workers")
@require_token(*ALL_ADMINS)
def post_worker() -> ResponseReturnValue:
    body = Payload.from_request()
    name = body.text("name", required=True)
    company_id = body.integer("company_id", required=True)
    name_kana = body.text("name_kana")
    ccus = body.identifier("ccus_worker_id")
    phones = body.text_list("phones")
    cards = body.text_list("card_uids")
    language = body.text("language", max_length=8)
    pin = body.identifier("pin")
    kentaikyo = body.boolean("kentaikyo")
    card_level = body.integer("card_level", minimum=1, maximum=4)
    body.check()
    assert name is not None and company_id is not None
    session = db()
    principal = current_principal()
    try:
        company_or_raise(session, principal, company_id)
    except NotFound:
        raise ValidationFailed.one("company_id", "not_found") from None
    try:
        worker = create_worker(
            session,
            name=name,
            company_id=company_id,
            name_kana=name_kana,
            ccus_worker_id=ccus,
            phones=phones,
            card_uids=cards,
            language=language,
            pin=pin,
            kentaikyo=kentaikyo,
            card_level=card_level,
            actor=actor_of(principal),
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            [replace(p, field=_REQUEST_FIELDS.get(p.field or "", p.field)) for p in exc.problems]
        ) from exc
    session.commit()
    return jsonify(worker_json(worker)), 201


@bp.get("/workers")
@require_token(*ALL_ADMINS)
def list_workers() -> ResponseReturnValue:
    company_id = query_int("company_id")
    limit = query_int("limit") or DEFAULT_LIMIT
    offset = query_int("offset") or 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.one("limit", "between", {"min": 1, "max": MAX_LIMIT})
    if offset < 0:
        raise ValidationFailed.one("offset", "not_negative")
    workers = workers_in_scope(db(), current_principal(), company_id, limit, offset)
    return jsonify([worker_json(w) for w in workers])


@bp.get("/workers/<int:worker_id>")
@require_token(*ALL_ADMINS)
def get_worker(worker_id: int) -> ResponseReturnValue:
    return jsonify(worker_json(worker_or_raise(db(), current_principal(), worker_id)))


@bp.post("/roster")
@require_token("admin", "prime_admin", "site_admin")
def post_roster() -> ResponseReturnValue:
    body = Payload.from_request()
    site_id = body.integer("site_id", required=True)
    worker_id = body.integer("worker_id", required=True)
    work_date = body.day("work_date", required=True)
    body.check()
    assert site_id is not None and worker_id is not None and work_date is not None
    site = manageable_site(site_id)
    session = db()
    principal = current_principal()
    site, worker = entry_worker_or_raise(session, principal, site.id, worker_id, manage=True)
    tz = settings().tz
    if work_date > datetime.now(tz).date():
        raise ValidationFailed.one("work_date", "date.future", {"day": work_date.isoformat()})
    recorded = record_event(
        session,
        external_id=f"roster:{site.id}:{worker.id}:{work_date.isoformat()}",
        source="roster",
        site_id=site.id,
        worker_id=worker.id,
        occurred_at=datetime.combine(work_date, time(ROSTER_HOUR), tzinfo=tz),
        tz=tz,
        note=f"出面 ({principal.actor})",
    )
    if recorded.created:
        audit(session, principal.actor, "roster", "event", recorded.event.id)
    session.commit()
    event = recorded.event
    return jsonify(
        id=event.id,
        site_id=event.site_id,
        worker_id=event.worker_id,
        work_date=event.work_date.isoformat(),
        source=event.source,
        occurred_at=event.occurred_at.astimezone(tz).isoformat(),
        created=recorded.created,
    ), 201
