"""/api/v1 workers (with their phones and cards) and the roster (出面) entered by a site admin.

Two workers never own the same phone or card: `create_worker` checks first, and the unique
constraints decide a race between two requests (the loser gets 422, field `phones` or
`card_uids`).  A roster entry is an `Event` with source `roster` and external id
`roster:{site_id}:{worker_id}:{work_date}`, so posting it twice records it once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

from flask.typing import ResponseReturnValue

from voice_app.api.answers import RosterOut, WorkerOut
from voice_app.api.auth import current_principal
from voice_app.api.declare import Link, answer, operation
from voice_app.api.registry import ALL_ADMINS, manageable_site
from voice_app.api.requests import RosterIn, WorkerIn, WorkersQuery
from voice_app.extensions import db, settings
from workers_db.audit import actor_of, audit
from workers_db.errors import NotFound, ValidationFailed
from workers_db.intake import record_event
from workers_db.models import Worker
from workers_db.registration import create_worker
from workers_db.scope import company_or_raise, entry_worker_or_raise, worker_or_raise
from workers_db.scope_lists import workers_in_scope

ROSTER_HOUR = 12  # a roster day has no times: its event stands at noon of that date
# create_worker names an owned phone/card by the singular; the request's fields are lists.
_REQUEST_FIELDS = {"phone": "phones", "card_uid": "card_uids"}


def worker_json(worker: Worker) -> WorkerOut:
    return WorkerOut(
        id=worker.id,
        name=worker.name,
        name_kana=worker.name_kana,
        company_id=worker.company_id,
        ccus_worker_id=worker.ccus_worker_id,
        phones=sorted(p.e164 for p in worker.phones),
        card_uids=sorted(c.uid for c in worker.cards),
        language=worker.language,
        has_pin=worker.pin_hash is not None,
        kentaikyo=worker.kentaikyo,
        card_level=worker.card_level,
        active=worker.active,
    )


@operation(
    "POST",
    "/workers",
    summary="register a worker with their phones and cards",
    roles=ALL_ADMINS,
    tag="registry",
    body=WorkerIn,
    answers={201: ("the worker", WorkerOut)},
    links=(
        Link("GetWorker", "get_worker", "worker_id"),
        Link("Roster", "post_roster", "worker_id", in_body=True),
        Link("ManualEntry", "post_manual_entry", "worker_id", in_body=True),
    ),
)
def post_worker(body: WorkerIn) -> ResponseReturnValue:
    session = db()
    principal = current_principal()
    try:
        company_or_raise(session, principal, body.company_id)
    except NotFound:
        raise ValidationFailed.one("company_id", "not_found") from None
    try:
        worker = create_worker(
            session,
            name=body.name,
            company_id=body.company_id,
            name_kana=body.name_kana,
            ccus_worker_id=body.ccus_worker_id,
            phones=body.phones or [],
            card_uids=body.card_uids or [],
            language=body.language,
            pin=body.pin,
            kentaikyo=bool(body.kentaikyo),
            card_level=body.card_level,
            actor=actor_of(principal),
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            [replace(p, field=_REQUEST_FIELDS.get(p.field or "", p.field)) for p in exc.problems]
        ) from exc
    session.commit()
    return answer(worker_json(worker), 201)


@operation(
    "GET",
    "/workers",
    summary="the workers in the token's scope (of one company if given), by id",
    roles=ALL_ADMINS,
    tag="registry",
    query=WorkersQuery,
    answers={200: ("a page of workers", list[WorkerOut])},
)
def list_workers(query: WorkersQuery) -> ResponseReturnValue:
    workers = workers_in_scope(
        db(), current_principal(), query.company_id, query.limit, query.offset
    )
    return answer([worker_json(w) for w in workers])


@operation(
    "GET",
    "/workers/<int:worker_id>",
    summary="one worker (404 when unknown or outside the token's scope: the same answer)",
    roles=ALL_ADMINS,
    tag="registry",
    answers={200: ("the worker", WorkerOut)},
)
def get_worker(worker_id: int) -> ResponseReturnValue:
    return answer(worker_json(worker_or_raise(db(), current_principal(), worker_id)))


@operation(
    "POST",
    "/roster",
    summary="出面: a day a worker was at a site, entered by its site admin",
    roles=("admin", "prime_admin", "site_admin"),
    tag="records",
    body=RosterIn,
    answers={201: ("the roster event (`created` false when it was already there)", RosterOut)},
)
def post_roster(body: RosterIn) -> ResponseReturnValue:
    work_date = body.work_date
    site = manageable_site(body.site_id)
    session = db()
    principal = current_principal()
    site, worker = entry_worker_or_raise(session, principal, site.id, body.worker_id, manage=True)
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
    assert event.worker_id is not None
    roster = RosterOut(
        id=event.id,
        site_id=event.site_id,
        worker_id=event.worker_id,
        work_date=event.work_date.isoformat(),
        source=event.source,
        occurred_at=event.occurred_at.astimezone(tz).isoformat(),
        created=recorded.created,
    )
    return answer(roster, 201)
