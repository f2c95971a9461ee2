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

from typing import Any

from flask import abort, jsonify, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from jobs.reconcile import enqueue_reconcile_range
from jobs.stats import compute_stats, daily_series, period_series
from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.api.payload import Payload, query_int
from voice_app.api.periods import check_range, iso_local, parse_day, query_range
from voice_app.api.records import actor_of, visible_site_or_403
from voice_app.extensions import db, runtime, settings
from workers_db.errors import FieldProblem, NotFound, ValidationFailed
from workers_db.exception_queue import api_exceptions
from workers_db.models import EXCEPTION_KINDS, Company, WorkException
from workers_db.resolutions import REASON_CODES, resolve_exception

MAX_EXCEPTIONS = 1000
SERIES = ("day", "month", "fiscal_year")


def exception_json(row: WorkException) -> dict[str, Any]:
    tz = settings().tz
    return {
        "id": row.id,
        "kind": row.kind,
        "site_id": row.site_id,
        "worker_id": row.worker_id,
        "event_id": row.event_id,
        "work_date": row.work_date.isoformat() if row.work_date else None,
        "detail": row.detail,
        "status": row.status,
        "reason_code": row.reason_code,
        "resolution_note": row.resolution_note,
        "resolved_by": row.resolved_by,
        "resolved_at": iso_local(row.resolved_at, tz),
        "created_at": iso_local(row.created_at, tz),
    }


@bp.get("/exceptions")
@require_token()
def list_exceptions() -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    site_id = query_int("site_id")
    limit = query_int("limit") or 200
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    problems: list[FieldProblem] = []
    if status not in (None, "open", "resolved"):
        problems.append(FieldProblem("status", "exceptions.status"))
    if kind is not None and kind not in EXCEPTION_KINDS:
        problems.append(FieldProblem("kind", "use_one_of", {"choices": ", ".join(EXCEPTION_KINDS)}))
    if not 1 <= limit <= MAX_EXCEPTIONS:
        problems.append(FieldProblem("limit", "between", {"min": 1, "max": MAX_EXCEPTIONS}))
    if problems:
        raise ValidationFailed(problems)
    if site_id is not None:
        visible_site_or_403(principal, site_id)
    rows = api_exceptions(
        session, principal, site_id=site_id, status=status, kind=kind, limit=limit
    )
    return jsonify([exception_json(x) for x in rows])


@bp.post("/exceptions/<int:exception_id>/resolve")
@require_token("admin", "prime_admin", "site_admin")
def post_resolve(exception_id: int) -> ResponseReturnValue:
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
        abort(403, f"exception {exception_id} is outside this token's scope")
    body = Payload.from_request()
    reason = body.text("reason_code", required=True, max_length=40)
    note = body.text("note", max_length=1000)
    if reason is not None and reason not in REASON_CODES:
        body.problem("reason_code", "one_of", {"value": reason, "choices": ", ".join(REASON_CODES)})
    body.check()
    assert reason is not None
    resolve_exception(session, exception_id, reason, actor_of(principal), note)
    session.commit()
    return jsonify(exception_json(row))


@bp.post("/reconcile")
@require_token("admin", "prime_admin", "site_admin")
def post_reconcile() -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    body = Payload.from_request()
    site_id = body.integer("site_id", minimum=1)
    raw_from = body.text("from", required=True, max_length=10)
    raw_to = body.text("to", required=True, max_length=10)
    problems = body.problems
    first = parse_day(raw_from, "from", problems) if raw_from is not None else None
    last = parse_day(raw_to, "to", problems) if raw_to is not None else None
    check_range(first, last, problems)
    body.check()
    assert first is not None and last is not None
    site_ids: list[int] | None
    if site_id is not None:
        visible_site_or_403(principal, site_id)
        site_ids = [site_id]
    else:
        visible = principal.visible_site_ids(session)
        site_ids = None if visible is None else sorted(visible)
    if site_ids == []:
        abort(403, "this token sees no site")
    try:
        job = enqueue_reconcile_range(runtime().queue(), site_ids, first, last)
    except RedisError as exc:
        abort(503, f"the job queue (Redis) does not answer: {exc}")
    return jsonify(job_id=job.id), 202


@bp.get("/stats")
@require_token()
def get_stats() -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    site_id = query_int("site_id")
    prime_id = query_int("prime_company_id")
    first, last = query_range()
    series = request.args.get("series") or None
    if series is not None and series not in SERIES:
        raise ValidationFailed.one("series", "use_one_of", {"choices": ", ".join(SERIES)})
    if site_id is not None and prime_id is not None:
        raise ValidationFailed.one("prime_company_id", "scope.site_or_prime")
    if site_id is None and prime_id is None:
        if principal.role == "site_admin":
            site_id = principal.site_id
        elif principal.role == "prime_admin":
            prime_id = principal.company_id
        elif principal.role != "admin":
            raise ValidationFailed.one("site_id", "scope.site_required")
    company_id = principal.company_id if principal.role == "company_admin" else None
    if site_id is not None:
        visible_site_or_403(principal, site_id)
    elif prime_id is not None:
        if session.get(Company, prime_id) is None:
            raise NotFound("company.not_found", {"id": prime_id})
        if not (
            principal.is_admin
            or (principal.role == "prime_admin" and principal.company_id == prime_id)
        ):
            abort(
                403, f"the statistics of member company {prime_id} are outside this token's scope"
            )
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
    return jsonify(result)
