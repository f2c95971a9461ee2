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

from flask.typing import ResponseReturnValue

from voice_app.api.answers import EventOut, WorkRecordOut
from voice_app.api.auth import current_principal
from voice_app.api.declare import Link, answer, operation
from voice_app.api.fields import MAX_BIG_ID
from voice_app.api.periods import iso_local
from voice_app.api.requests import EventsQuery, ManualEntryIn, WorkRecordsQuery
from voice_app.extensions import db, settings
from workers_db.audit import actor_of, audit
from workers_db.errors import Forbidden, NotFound, ValidationFailed
from workers_db.identifiers import mask_phone
from workers_db.intake import record_manual_entry
from workers_db.models import Event, Site
from workers_db.record_reads import site_events, site_work_records
from workers_db.resolutions import approve_manual_event
from workers_db.scope import Principal, entry_worker_or_raise, site_or_raise

ANY_ROLE = ("admin", "prime_admin", "site_admin", "company_admin")


def visible_site_or_403(principal: Principal, site_id: int) -> Site:
    return site_or_raise(db(), principal, site_id)


def event_json(event: Event) -> EventOut:
    tz = settings().tz
    return EventOut(
        id=event.id,
        source=event.source,
        site_id=event.site_id,
        worker_id=event.worker_id,
        occurred_at=iso_local(event.occurred_at, tz),
        work_date=event.work_date.isoformat(),
        direction=event.direction,
        card_uid=event.card_uid,
        caller=mask_phone(event.caller_e164) if event.caller_e164 else None,
        device=event.device,
        seq=event.seq,
        clock_synced=event.clock_synced,
        received_at=iso_local(event.received_at, tz),
        approved_at=iso_local(event.approved_at, tz),
        approved_by=event.approved_by,
        note=event.note,
    )


@operation(
    "GET",
    "/events",
    summary="the raw events of every source of one site and work date",
    roles=ANY_ROLE,
    tag="records",
    query=EventsQuery,
    answers={200: ("the events, in time order", list[EventOut])},
)
def list_events(query: EventsQuery) -> ResponseReturnValue:
    principal = current_principal()
    site_id = query.site_id
    visible_site_or_403(principal, site_id)
    return answer([event_json(e) for e in site_events(db(), principal, site_id, query.day)])


@operation(
    "GET",
    "/work-records",
    summary="the reconciled work records of one site over a range of work dates",
    roles=ANY_ROLE,
    tag="records",
    query=WorkRecordsQuery,
    answers={200: ("the work records", list[WorkRecordOut])},
)
def list_work_records(query: WorkRecordsQuery) -> ResponseReturnValue:
    principal = current_principal()
    site_id, first, last = query.site_id, query.date_from, query.date_to
    visible_site_or_403(principal, site_id)
    rows = site_work_records(db(), principal, site_id, first, last)
    tz = settings().tz
    return answer(
        [
            WorkRecordOut(
                id=r.id,
                worker_id=r.worker_id,
                worker_name=name,
                company_id=company_id,
                site_id=r.site_id,
                work_date=r.work_date.isoformat(),
                first_in=iso_local(r.first_in, tz),
                last_out=iso_local(r.last_out, tz),
                sources=r.sources.split(",") if r.sources else [],
                countable=r.countable,
                event_count=r.event_count,
            )
            for r, name, company_id in rows
        ]
    )


@operation(
    "POST",
    "/manual-entries",
    summary="事後登録: a missed day entered afterwards (counts once approved)",
    roles=ANY_ROLE,
    tag="records",
    body=ManualEntryIn,
    answers={
        201: ("the unapproved manual event", EventOut),
        200: ("the one already awaiting approval for that worker, site and day", EventOut),
    },
    links=(Link("Approve", "approve_event", "event_id"),),
)
def post_manual_entry(body: ManualEntryIn) -> ResponseReturnValue:
    """Stored as an unapproved manual event; 201 with the event (200 with the existing one
    if the same worker, site and day already await approval)."""
    principal = current_principal()
    session = db()
    site_id, day, at_time, note = body.site_id, body.work_date, body.time, body.note
    raw_time = at_time.isoformat(timespec="minutes") if at_time is not None else None
    tz = settings().tz
    _, worker = entry_worker_or_raise(session, principal, site_id, body.worker_id)
    recorded = record_manual_entry(
        session, site_id=site_id, worker_id=worker.id, work_date=day, at=at_time, tz=tz, note=note
    )
    if not recorded.created:
        return answer(event_json(recorded.event), 200)
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
    return answer(event_json(recorded.event), 201)


@operation(
    "POST",
    "/events/<int:event_id>/approve",
    summary="the prime's approval of a 事後登録: from now on the day counts",
    roles=("admin", "prime_admin", "site_admin"),
    tag="records",
    answers={200: ("the approved event", EventOut)},
    path_max={"event_id": MAX_BIG_ID},
)
def approve_event(event_id: int) -> ResponseReturnValue:
    """The prime's approval of a 事後登録: from now on the day counts."""
    principal = current_principal()
    session = db()
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event.not_found", {"id": event_id})
    if not principal.can_manage_site(session, event.site_id):
        raise Forbidden("scope.site_outside")
    if event.source != "manual":
        raise ValidationFailed.one(
            "event_id", "event.not_manual", {"event_id": event_id, "source": event.source}
        )
    approve_manual_event(session, event_id, actor_of(principal))
    session.commit()
    return answer(event_json(event))
