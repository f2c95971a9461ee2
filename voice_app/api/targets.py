"""新目標 under /api/v1 (docs/api.md, "Targets"):

- `POST /targets`: a prime's target and commitment for a fiscal year (201, or 200 when it
  replaced the year's row); an admin or that prime's prime_admin;
- `GET /targets?prime_company_id[&fiscal_year]`: the prime's targets;
- `POST /site-targets`: the figures the prime notifies to one of its sites.

The rules (who, which values) live in `workers_db.targets`; this module parses and answers.
"""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from voice_app.api.answers import Document
from voice_app.api.auth import current_principal
from voice_app.api.declare import operation
from voice_app.api.payload import Payload
from voice_app.api.records import actor_of
from voice_app.api.requests import TargetsQuery
from voice_app.extensions import db
from workers_db.errors import ValidationFailed
from workers_db.targets import (
    RATE_PAIRS,
    SITE_RATES,
    TargetFigures,
    list_targets,
    prime_or_raise,
    set_site_target,
    set_target,
    site_or_raise,
    site_target_json,
    target_json,
)


@operation(
    "POST",
    "/targets",
    summary="set a prime's 新目標 for a fiscal year (201, or 200 when it replaced the year's)",
    roles=("admin", "prime_admin"),
    tag="targets",
    answers={201: ("the target", Document), 200: ("the target it replaced", Document)},
    description="body: docs/api.md, Targets (read by the view: not yet a declared model)",
)
def post_target() -> ResponseReturnValue:
    principal = current_principal()
    body = Payload.from_request()
    prime_id = body.integer("prime_company_id", required=True, minimum=1)
    fiscal_year = body.integer("fiscal_year", required=True)
    touches_target = body.integer("touches_target", required=True)
    touches_commitment = body.integer("touches_commitment", required=True)
    rates = {name: body.number(name) for pair in RATE_PAIRS for name in pair}
    if prime_id is not None:  # scope before content: 403/404 before 422
        prime_or_raise(db(), principal, prime_id)
    body.check()
    assert prime_id is not None and fiscal_year is not None
    assert touches_target is not None and touches_commitment is not None
    session = db()
    row, created = set_target(
        session,
        principal,
        actor_of(principal),
        prime_id,
        fiscal_year,
        TargetFigures(touches_target, touches_commitment, **rates),
    )
    session.commit()
    return jsonify(target_json(row)), 201 if created else 200


@operation(
    "GET",
    "/targets",
    summary="a prime's targets",
    roles=("admin", "prime_admin"),
    tag="targets",
    query=TargetsQuery,
    answers={200: ("the targets", list[Document])},
)
def get_targets(query: TargetsQuery) -> ResponseReturnValue:
    principal = current_principal()
    prime_id = query.prime_company_id
    if prime_id is None:
        if principal.role != "prime_admin":
            raise ValidationFailed.one("prime_company_id", "required")
        prime_id = principal.company_id
    assert prime_id is not None
    rows = list_targets(db(), principal, prime_id, query.fiscal_year)
    return jsonify([target_json(r) for r in rows])


@operation(
    "POST",
    "/site-targets",
    summary="set the figures a prime notifies to one of its sites (201, or 200 when replaced)",
    roles=("admin", "prime_admin"),
    tag="targets",
    answers={201: ("the site's figures", Document), 200: ("the figures it replaced", Document)},
    description="body: docs/api.md, Targets (read by the view: not yet a declared model)",
)
def post_site_target() -> ResponseReturnValue:
    principal = current_principal()
    body = Payload.from_request()
    site_id = body.integer("site_id", required=True, minimum=1)
    rates = {name: body.number(name) for name in SITE_RATES}
    if site_id is not None:
        site_or_raise(db(), principal, site_id)
    body.check()
    assert site_id is not None
    session = db()
    row, created = set_site_target(session, principal, actor_of(principal), site_id, rates)
    session.commit()
    return jsonify(site_target_json(row)), 201 if created else 200
