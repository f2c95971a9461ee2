"""`POST /api/v1/touches`: card touches from a reader agent (docs/nfc.md).

Only a `device` token may post (an admin token gets 403), and only for its own site: the site
comes from the token; a body that names another site (`site_id` or `site_code`) gets 403.
Answer: 200 `{"accepted", "duplicates", "rejected": [{"event_id", "index", "error",
"message"}], "workers": {event_id: name or null}}` — `error` is a code (docs/nfc.md), checked
per event before anything is written (`workers_db.touch_validation`), so a bad event never
costs its batch nor turns the answer into a 5xx; `index` (the event's position in the batch),
`message` (the reason in words) and `workers` (for the reader's console: null means the card
is not registered) are additions to the contract's keys.  A `X-Touches-Resent: 1` header (the
agent's, on a batch it may have sent before: `nfc_fallback.RESENT_HEADER`) only changes how the
batch is inserted, never the answer.
"""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from nfc_fallback import RESENT_HEADER
from voice_app.api.answers import TouchesOut
from voice_app.api.auth import current_principal
from voice_app.api.declare import answer, operation
from voice_app.api.requests import TouchesIn
from voice_app.extensions import db, settings
from workers_db.errors import Forbidden
from workers_db.models import utcnow
from workers_db.touch_intake import ReaderSite, ingest_touches, reader_site


def _claims_other_site(body: TouchesIn, site: ReaderSite) -> bool:
    return (body.site_id is not None and body.site_id != site.id) or (
        body.site_code is not None and str(body.site_code) != site.site_code
    )


@operation(
    "POST",
    "/touches",
    summary="card touches from a reader agent (a device token, for its own site only)",
    roles=("device",),
    tag="touches",
    body=TouchesIn,
    answers={200: ("how many were accepted, duplicates, and each rejected event", TouchesOut)},
    description=(
        "Each event is accepted, counted as a duplicate (its event_id already stored for the same"
        " touch) or rejected with a code. Optional header `X-Touches-Resent: 1`: the batch may"
        " have reached the server before (the agent's first batch after a failed upload or a"
        " start); the answer is the same, the server only inserts it the way that suits a re-send."
    ),
)
def post_touches(body: TouchesIn) -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    now = utcnow()
    site = reader_site(session, principal.site_id, now) if principal.site_id is not None else None
    if site is None or not site.active:
        raise Forbidden("device.no_active_site")
    if _claims_other_site(body, site):
        raise Forbidden("device.other_site", {"site_code": site.site_code})
    result = ingest_touches(
        session,
        site_id=site.id,
        device=principal.name,
        items=body.events,
        tz=settings().tz,
        now=now,
        resent=request.headers.get(RESENT_HEADER) == "1",
    )
    session.commit()
    return answer(TouchesOut.model_validate(result.as_json()))
