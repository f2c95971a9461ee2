"""/vonage/*: the webhooks Vonage's Voice API calls.

`/vonage/answer` (the number's answer URL, step 0), `/vonage/input/<n>` (each later step: the
`eventUrl` of an `input` action), `/vonage/event` (the application's event URL: call status
events, acknowledged).  Every answer is an NCCO; every request must carry Vonage's signed JWT
(`voice_app.vonage.security`).  The step runner, its idempotency per call and step, and the
spool when the database does not answer are the Twilio route's own
(`voice_app.twilio.core`, `voice_app.twilio.replay`); only parsing, the signature and the
rendering differ.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from voice_app.extensions import db, settings
from voice_app.providers import vonage
from voice_app.twilio.core import DB_UNAVAILABLE, answer_step
from voice_app.twilio.security import base_url
from voice_app.twilio.views import (
    MAX_STEP,
    _discard_session,
    _now,
    _replay_after,
    spool_or_give_up,
)
from voice_app.vonage.ncco import system_down_answer
from voice_app.vonage.params import flatten, parse
from voice_app.vonage.security import refusal

log = logging.getLogger(__name__)
bp = Blueprint("vonage", __name__, url_prefix="/vonage")


def _ncco(body: str) -> Response:
    return Response(body, 200, mimetype="application/json")


@bp.before_request
def _verify_signature() -> ResponseReturnValue | None:
    why = refusal(request, settings(), _now())
    if why is None:
        return None
    log.warning("403 for %s: %s", request.path, why)
    return Response("Forbidden: request not signed by Vonage\n", 403, mimetype="text/plain")


@bp.post("/answer")
def answer() -> ResponseReturnValue:
    return _step(0)


@bp.post("/input/<int:n>")
def input_step(n: int) -> ResponseReturnValue:
    return _step(min(max(n, 1), MAX_STEP))


@bp.post("/event")
def event() -> ResponseReturnValue:
    """Call status events (started, ringing, answered, completed …): acknowledged, logged."""
    fields = flatten(request.get_json(silent=True))
    log.info("Vonage event for call %s: %s", fields.get("uuid", "?"), fields.get("status", "?"))
    return Response(status=204)


def _step(n: int) -> Response:
    now = _now()
    params = parse(flatten(request.get_json(silent=True)))
    if params.call_sid is None:
        log.warning("webhook %s without a usable uuid: nothing recorded", request.path)
        return _ncco(system_down_answer())
    try:
        answered = answer_step(
            db(),
            settings(),
            n,
            params,
            now,
            speaker=vonage(),
            base=base_url(request, settings()),
        )
    except DB_UNAVAILABLE as exc:
        _discard_session()
        log.warning(
            "database unavailable for call %s step %s (%s)", params.call_sid, n, type(exc).__name__
        )
        return _ncco(spool_or_give_up(n, params, now, vonage()))
    response = _ncco(answered.xml)
    _replay_after(response)
    return response
