"""`POST /api/v1/touches`: card touches from a reader agent (docs/nfc.md).

Only a `device` token may post (an admin token gets 403), and only for its own site: the site
comes from the token; a body that names another site (`site_id` or `site_code`) gets 403.
Answer: 200 `{"accepted", "duplicates", "rejected": [{"event_id", "index", "error",
"message"}], "workers": {event_id: name or null}}` — `error` is a code (docs/nfc.md), checked
per event before anything is written (`workers_db.touch_validation`), so a bad event never
costs its batch nor turns the answer into a 5xx; `index` (the event's position in the batch),
`message` (the reason in words) and `workers` (for the reader's console: null means the card
is not registered) are additions to the contract's keys.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request
from flask.typing import ResponseReturnValue

from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.extensions import db, settings
from workers_db.errors import ValidationFailed
from workers_db.limits import MAX_BATCH
from workers_db.models import Site
from workers_db.touch_intake import ingest_touches


def _claims_other_site(body: dict[str, Any], site: Site) -> bool:
    site_id = body.get("site_id")
    site_code = body.get("site_code")
    return (site_id is not None and site_id != site.id) or (
        site_code is not None and str(site_code) != site.site_code
    )


@bp.post("/touches")
@require_token("device")
def post_touches() -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    site = session.get(Site, principal.site_id) if principal.site_id is not None else None
    if site is None or not site.active:
        abort(403, "this device token belongs to no active site")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed.one("events", "events.not_object")
    if _claims_other_site(body, site):
        abort(403, f"this device token is for site {site.site_code} only")
    events = body.get("events")
    if not isinstance(events, list):
        raise ValidationFailed.one("events", "events.required")
    if len(events) > MAX_BATCH:
        raise ValidationFailed.one(
            "events", "events.too_many", {"max": MAX_BATCH, "got": len(events)}
        )
    result = ingest_touches(
        session, site=site, device=principal.name, items=events, tz=settings().tz
    )
    session.commit()
    return jsonify(result.as_json())
