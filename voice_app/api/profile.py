"""The documents' fields under /api/v1 (docs/documents.md), all optional; a field left out
of the body is kept, `null` or `""` clears it:

- `PUT /workers/<id>/profile` `{trade?, birth_date?, hired_on?, health_insurance?,
  pension_insurance?, employment_insurance?, emergency_contact?, qualifications?: [..]}`:
  whoever sees the worker (as for phones: a company admin its own workers);
- `PUT /sites/<site_id>/companies/<company_id>` `{trade?, chief_engineer?, works_from?,
  works_to?}`: 工種, 主任技術者 and 工期 of a company in the site's 施工体制 (the site's managers);
- `PUT /sites/<site_id>/workers/<worker_id>` `{induction_on?}`: the 受入教育実施日 (the site's
  managers, of a worker they see).
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask.typing import ResponseReturnValue

from voice_app.api.answers import Document
from voice_app.api.auth import current_principal
from voice_app.api.declare import operation
from voice_app.api.payload import Payload
from voice_app.api.records import actor_of, visible_site_or_403
from voice_app.api.registry import ALL_ADMINS
from voice_app.extensions import db
from workers_db.errors import FieldProblem, NotFound, ValidationFailed
from workers_db.models import Worker
from workers_db.profile import (
    SITE_COMPANY_FIELDS,
    SITE_WORKER_FIELDS,
    WORKER_FIELDS,
    ProfileField,
    profile_json,
    set_site_company_works,
    set_site_worker,
    set_worker_profile,
)
from workers_db.structure import edges_of

_BODY_NOTE = "body: the fields of docs/documents.md (read by the view: not yet a declared model)"


def _body(fields: tuple[ProfileField, ...]) -> dict[str, Any]:
    payload = Payload.from_request()
    known = {f.name for f in fields}
    unknown = sorted(set(payload.data) - known)
    if unknown:
        raise ValidationFailed(
            [
                FieldProblem(name, "unknown_field", {"known": ", ".join(sorted(known))})
                for name in unknown
            ]
        )
    return payload.data


def _managed_site(site_id: int) -> None:
    """404 for an unknown site, 403 unless the caller manages it."""
    principal = current_principal()
    visible_site_or_403(principal, site_id)
    if not principal.can_manage_site(db(), site_id):
        abort(403, f"site {site_id} is outside this token's scope")


def _visible_worker(worker_id: int) -> Worker:
    session = db()
    worker = session.get(Worker, worker_id)
    if worker is None or not current_principal().can_see_worker(session, worker):
        raise NotFound("worker.not_found", {"id": worker_id})
    return worker


@operation(
    "PUT",
    "/workers/<int:worker_id>/profile",
    summary="a worker's documents' fields (docs/documents.md)",
    roles=ALL_ADMINS,
    tag="documents",
    answers={200: ("the worker's profile", Document)},
    description=_BODY_NOTE,
)
def put_worker_profile(worker_id: int) -> ResponseReturnValue:
    raw = _body(WORKER_FIELDS)
    worker = _visible_worker(worker_id)
    session = db()
    set_worker_profile(session, worker, raw, actor_of(current_principal()))
    session.commit()
    return jsonify({"worker_id": worker.id, **profile_json(worker)})


@operation(
    "PUT",
    "/sites/<int:site_id>/companies/<int:company_id>",
    summary="工種, 主任技術者 and 工期 of a company in a site's 施工体制",
    roles=("admin", "prime_admin", "site_admin"),
    tag="documents",
    answers={200: ("the company's works at the site", Document)},
    description=_BODY_NOTE,
)
def put_site_company(site_id: int, company_id: int) -> ResponseReturnValue:
    raw = _body(SITE_COMPANY_FIELDS)
    _managed_site(site_id)
    session = db()
    edge = edges_of(session, site_id).get(company_id)
    if edge is None or not current_principal().can_manage_company(session, company_id):
        # an unconfirmed company (a call added it) is nobody's to describe yet
        raise NotFound("structure.not_in_site", {"company_id": company_id, "site_id": site_id})
    set_site_company_works(session, edge, raw, actor_of(current_principal()))
    session.commit()
    return jsonify(
        {
            "site_id": site_id,
            "company_id": company_id,
            "trade": edge.trade,
            "chief_engineer": edge.chief_engineer,
            "works_from": edge.works_from.isoformat() if edge.works_from else None,
            "works_to": edge.works_to.isoformat() if edge.works_to else None,
        }
    )


@operation(
    "PUT",
    "/sites/<int:site_id>/workers/<int:worker_id>",
    summary="the 受入教育実施日 of a worker at a site",
    roles=("admin", "prime_admin", "site_admin"),
    tag="documents",
    answers={200: ("the worker at the site", Document)},
    description=_BODY_NOTE,
)
def put_site_worker(site_id: int, worker_id: int) -> ResponseReturnValue:
    raw = _body(SITE_WORKER_FIELDS)
    _managed_site(site_id)
    worker = _visible_worker(worker_id)
    session = db()
    row = set_site_worker(session, site_id, worker, raw, actor_of(current_principal()))
    session.commit()
    return jsonify(
        {
            "site_id": site_id,
            "worker_id": worker_id,
            "induction_on": row.induction_on.isoformat() if row.induction_on else None,
        }
    )
