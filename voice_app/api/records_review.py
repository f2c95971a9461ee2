"""Exceptions, reconciliation and statistics under /api/v1.

- `GET /exceptions?site_id?&status?&kind?&limit?`: newest first, in the caller's scope;
- `POST /exceptions/<id>/resolve` `{reason_code, note?}`: one click, a reason from the
  catalogue (`workers_db.resolutions.REASON_CODES`), audited;
- `POST /reconcile` `{site_id?, from, to}` → 202 `{job_id}` (RQ; the dates whose events
  changed, see jobs.reconcile);
- `GET /stats?site_id|prime_company_id&from&to[&series=day|month|fiscal_year]`: the keys of
  docs/figures.md (jobs.stats.compute_stats), plus `series` when asked for.
"""

from __future__ import annotations

import logging
from typing import Any

from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from jobs.reconcile import enqueue_reconcile_range
from jobs.stats import compute_stats, daily_series, period_series
from voice_app.api.answers import Errors, ExceptionOut, JobOut, StatsOut
from voice_app.api.auth import current_principal
from voice_app.api.declare import Link, answer, operation
from voice_app.api.periods import iso_local
from voice_app.api.records import ANY_ROLE, visible_site_or_403
from voice_app.api.requests import ExceptionsQuery, ReconcileIn, ResolveIn, StatsQuery
from voice_app.extensions import db, runtime, settings
from workers_db.audit import actor_of
from workers_db.errors import Forbidden, NotFound, Unavailable, ValidationFailed
from workers_db.exception_queue import api_exceptions
from workers_db.models import Company, WorkException
from workers_db.resolutions import REASON_CODES, resolve_exception

log = logging.getLogger(__name__)


def exception_json(row: WorkException) -> ExceptionOut:
    tz = settings().tz
    return ExceptionOut(
        id=row.id,
        kind=row.kind,
        site_id=row.site_id,
        worker_id=row.worker_id,
        event_id=row.event_id,
        work_date=row.work_date.isoformat() if row.work_date else None,
        detail=row.detail,
        status=row.status,
        reason_code=row.reason_code,
        resolution_note=row.resolution_note,
        resolved_by=row.resolved_by,
        resolved_at=iso_local(row.resolved_at, tz),
        created_at=iso_local(row.created_at, tz),
    )


@operation(
    "GET",
    "/exceptions",
    summary="the exceptions in the token's scope, newest first",
    roles=ANY_ROLE,
    tag="review",
    query=ExceptionsQuery,
    answers={200: ("the exceptions", list[ExceptionOut])},
    links=(Link("ResolveNewest", "post_resolve", "exception_id", source="0/id"),),
)
def list_exceptions(query: ExceptionsQuery) -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    site_id = query.site_id
    if site_id is not None:
        visible_site_or_403(principal, site_id)
    rows = api_exceptions(
        session, principal, site_id=site_id, status=query.status, kind=query.kind, limit=query.limit
    )
    return answer([exception_json(x) for x in rows])


@operation(
    "POST",
    "/exceptions/<int:exception_id>/resolve",
    summary="resolve an exception with a reason from the catalogue (audited)",
    roles=("admin", "prime_admin", "site_admin"),
    tag="review",
    body=ResolveIn,
    answers={200: ("the resolved exception", ExceptionOut)},
)
def post_resolve(exception_id: int, body: ResolveIn) -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    row = session.get(WorkException, exception_id)
    if row is None:
        raise NotFound("exception.not_found", {"id": exception_id})
    allowed = (
        principal.is_admin
        if row.site_id is None
        else principal.can_manage_site(session, row.site_id)
    )
    if not allowed:
        raise Forbidden("scope.exception_outside", {"id": exception_id})
    reason = body.reason_code
    if reason not in REASON_CODES:
        raise ValidationFailed.one(
            "reason_code", "one_of", {"value": reason, "choices": ", ".join(REASON_CODES)}
        )
    resolve_exception(session, exception_id, reason, actor_of(principal), body.note)
    session.commit()
    return answer(exception_json(row))


@operation(
    "POST",
    "/reconcile",
    summary="queue a reconciliation of the dates whose events changed (RQ)",
    roles=("admin", "prime_admin", "site_admin"),
    tag="review",
    body=ReconcileIn,
    answers={
        202: ("the job was queued", JobOut),
        503: ("the job queue (Redis) does not answer", Errors),
    },
)
def post_reconcile(body: ReconcileIn) -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    site_id, first, last = body.site_id, body.date_from, body.date_to
    site_ids: list[int] | None
    if site_id is not None:
        visible_site_or_403(principal, site_id)
        site_ids = [site_id]
    else:
        visible = principal.visible_site_ids(session)
        site_ids = None if visible is None else sorted(visible)
    if site_ids == []:
        raise Forbidden("scope.no_site")
    try:
        job = enqueue_reconcile_range(runtime().queue(), site_ids, first, last)
    except RedisError as exc:  # what Redis said goes to the log, not to the client
        log.warning("reconcile request not queued: Redis does not answer (%s)", exc)
        raise Unavailable("queue.unavailable") from exc
    return answer(JobOut(job_id=job.id), 202)


@operation(
    "GET",
    "/stats",
    summary="the figures of a site or a prime over a range (docs/figures.md)",
    roles=ANY_ROLE,
    tag="review",
    query=StatsQuery,
    answers={200: ("the figures (and `series` when asked for)", StatsOut)},
)
def get_stats(query: StatsQuery) -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    site_id, prime_id = query.site_id, query.prime_company_id
    first, last, series = query.date_from, query.date_to, query.series
    if site_id is not None and prime_id is not None:
        raise ValidationFailed.one("prime_company_id", "scope.site_or_prime")
    if site_id is None and prime_id is None:
        if principal.role == "site_admin":
            site_id = principal.site_id
        elif principal.role == "prime_admin":
            prime_id = principal.company_id
        elif principal.role != "admin":
            raise ValidationFailed.one("site_id", "scope.site_required")
    company_id = principal.own_company_only
    if site_id is not None:
        visible_site_or_403(principal, site_id)
    elif prime_id is not None:
        if session.get(Company, prime_id) is None:
            raise NotFound("company.not_found", {"id": prime_id})
        if not principal.speaks_for_prime(prime_id):
            raise Forbidden("scope.prime_figures_outside", {"id": prime_id})
    scope: dict[str, Any] = {
        "site_id": site_id,
        "prime_company_id": prime_id,
        "company_id": company_id,
        "date_from": first,
        "date_to": last,
    }
    result = compute_stats(session, **scope, tz=settings().tz)
    if series == "day":
        result["series"] = daily_series(session, **scope)
    elif series is not None:
        result["series"] = period_series(session, **scope, period=series)
    return answer(StatsOut(**result))
