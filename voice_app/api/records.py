"""Raw events, work records and 事後登録 (manual entries) under /api/v1.

- `GET /events?site_id&date`: the raw events of every source of one site and work date;
- `GET /work-records?site_id&from&to`: the reconciled records (`sources` is a list);
- `POST /manual-entries` `{site_id, worker_id, work_date, time?, note}`: a missed day entered
  afterwards, stored as an unapproved `manual` event (it counts once approved);
- `POST /events/<id>/approve`: the prime's approval of a manual entry.

Scope (workers_db.scope, docs/scope.md): a site_admin sees its site, a prime_admin its prime's
sites, a company_admin only its own workers' events and records; device tokens get 403.
The exceptions, reconcile and stats endpoints are in `voice_app.api.records_review`.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import abort, jsonify
from flask.typing import ResponseReturnValue

from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.api.payload import Payload, query_int
from voice_app.api.periods import iso_local, parse_day, query_day, query_range
from voice_app.extensions import db, settings
from workers_db.audit import actor_of, audit
from workers_db.errors import FieldProblem, NotFound, ValidationFailed
from workers_db.identifiers import mask_phone
from workers_db.intake import record_manual_entry
from workers_db.models import Event, Site
from workers_db.record_reads import site_events, site_work_records
from workers_db.resolutions import approve_manual_event
from workers_db.scope import Principal, entry_worker_or_raise, site_or_raise

MAX_NOTE = 500
MAX_MANUAL_AGE_DAYS = 366


def visible_site_or_403(principal: Principal, site_id: int) -> Site:
    return site_or_raise(db(), principal, site_id)


def event_json(event: Event) -> dict[str, Any]:
    tz = settings().tz
    return {
        "id": event.id,
        "source": event.source,
        "site_id": event.site_id,
        "worker_id": event.worker_id,
        "occurred_at": iso_local(event.occurred_at, tz),
        "work_date": event.work_date.isoformat(),
        "direction": event.direction,
        "card_uid": event.card_uid,
        "caller": mask_phone(event.caller_e164) if event.caller_e164 else None,
        "device": event.device,
        "seq": event.seq,
        "clock_synced": event.clock_synced,
        "received_at": iso_local(event.received_at, tz),
        "approved_at": iso_local(event.approved_at, tz),
        "approved_by": event.approved_by,
        "note": event.note,
    }


@bp.get("/events")
@require_token()
def list_events() -> ResponseReturnValue:
    principal = current_principal()
    site_id = query_int("site_id", required=True)
    assert site_id is not None
    day = query_day("date")
    visible_site_or_403(principal, site_id)
    return jsonify([event_json(e) for e in site_events(db(), principal, site_id, day)])


@bp.get("/work-records")
@require_token()
def list_work_records() -> ResponseReturnValue:
    principal = current_principal()
    site_id = query_int("site_id", required=True)
    assert site_id is not None
    first, last = query_range()
    visible_site_or_403(principal, site_id)
    rows = site_work_records(db(), principal, site_id, first, last)
    tz = settings().tz
    return jsonify(
        [
            {
                "id": r.id,
                "worker_id": r.worker_id,
                "worker_name": name,
                "company_id": company_id,
                "site_id": r.site_id,
                "work_date": r.work_date.isoformat(),
                "first_in": iso_local(r.first_in, tz),
                "last_out": iso_local(r.last_out, tz),
                "sources": r.sources.split(",") if r.sources else [],
                "countable": r.countable,
                "event_count": r.event_count,
            }
            for r, name, company_id in rows
        ]
    )


@bp.post("/manual-entries")
@require_token()
def post_manual_entry() -> ResponseReturnValue:
    """事後登録: stored as an unapproved manual event; 201 with the event (200 with the
    existing one if the same worker, site and day already await approval)."""
    principal = current_principal()
    session = db()
    body = Payload.from_request()
    site_id = body.integer("site_id", required=True, minimum=1)
    worker_id = body.integer("worker_id", required=True, minimum=1)
    raw_day = body.text("work_date", required=True, max_length=10)
    raw_time = body.text("time", max_length=8)
    note = body.text("note", required=True, max_length=MAX_NOTE)
    problems: list[FieldProblem] = body.problems
    day = parse_day(raw_day, "work_date", problems) if raw_day is not None else None
    at_time = _parse_time(raw_time, problems)
    tz = settings().tz
    today = datetime.now(tz).date()
    if day is not None and day > today:
        problems.append(FieldProblem("work_date", "date.future", {"day": day.isoformat()}))
    elif day is not None and (today - day).days > MAX_MANUAL_AGE_DAYS:
        problems.append(FieldProblem("work_date", "date.too_old", {"days": MAX_MANUAL_AGE_DAYS}))
    body.check()
    assert site_id is not None and worker_id is not None and day is not None
    _, worker = entry_worker_or_raise(session, principal, site_id, worker_id)
    recorded = record_manual_entry(
        session, site_id=site_id, worker_id=worker.id, work_date=day, at=at_time, tz=tz, note=note
    )
    if not recorded.created:
        return jsonify(event_json(recorded.event)), 200
    audit(
        session,
        actor_of(principal),
        "manual_entry",
        "event",
        recorded.event.id,
        site_id=site_id,
        worker_id=worker.id,
        work_date=day.isoformat(),
        time=raw_time,
    )
    session.commit()
    return jsonify(event_json(recorded.event)), 201


def _parse_time(raw: str | None, problems: list[FieldProblem]) -> time | None:
    if raw is None:
        return None
    try:
        parsed = time.fromisoformat(raw)
    except ValueError:
        problems.append(FieldProblem("time", "time.format", {"value": raw}))
        return None
    if parsed.tzinfo is not None:
        problems.append(FieldProblem("time", "time.no_offset"))
        return None
    return parsed


@bp.post("/events/<int:event_id>/approve")
@require_token("admin", "prime_admin", "site_admin")
def approve_event(event_id: int) -> ResponseReturnValue:
    """The prime's approval of a 事後登録: from now on the day counts."""
    principal = current_principal()
    session = db()
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event.not_found", {"id": event_id})
    if not principal.can_manage_site(session, event.site_id):
        abort(403, f"site {event.site_id} is outside this token's scope")
    if event.source != "manual":
        raise ValidationFailed.one(
            "event_id", "event.not_manual", {"event_id": event_id, "source": event.source}
        )
    approve_manual_event(session, event_id, actor_of(principal))
    session.commit()
    return jsonify(event_json(event))
