"""/vonage/*: the webhooks Vonage's Voice API calls.

`/vonage/answer` (the number's answer URL, step 0), `/vonage/input/<n>` (each later step: the
`eventUrl` of an `input` action), `/vonage/event` (the application's event URL: call status
events, kept in the call log as Twilio's status callbacks are).  Every answer is an NCCO;
every request must carry Vonage's signed JWT (`voice_app.vonage.security`).  The step, its
idempotency per call and step, and the spool when the database does not answer are every
provider's (`voice_app.calls`): these routes parse Vonage's JSON, check its JWT and render
NCCO.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, request
from flask.typing import ResponseReturnValue

from voice_app.calls.providers import vonage
from voice_app.calls.web import MAX_STEP, keep_status, now, run_step
from voice_app.extensions import runtime, settings
from voice_app.ratelimit import over_limit
from voice_app.twilio.params import TwilioParams
from voice_app.twilio.security import base_url
from voice_app.vonage.ncco import refused_answer
from voice_app.vonage.params import flatten, parse
from voice_app.vonage.security import refusal

log = logging.getLogger(__name__)
bp = Blueprint("vonage", __name__, url_prefix="/vonage")


def _ncco(body: str) -> Response:
    return Response(body, 200, mimetype="application/json")


def _params() -> TwilioParams:
    """The request's JSON body, cleaned once (the rate limit and the step both read it)."""
    params: TwilioParams | None = g.get("vonage_params")
    if params is None:
        params = g.vonage_params = parse(flatten(request.get_json(silent=True)))
    return params


@bp.before_request
def _verify_signature() -> ResponseReturnValue | None:
    rt = runtime()
    why = refusal(request, rt.settings, now())
    if why is None:  # a validated caller: now the per-caller rate limit (voice_app.ratelimit)
        if over_limit(request, _params(), rt.settings, rt.call_counts):
            return _ncco(refused_answer())
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
    """A call status event (started, ringing, answered, completed …) → the call log."""
    params = _params()
    response = Response(status=204)
    keep_status(
        params, params.fields.get("status", ""), params.fields.get("duration", ""), response
    )
    return response


def _step(n: int) -> Response:
    params = _params()
    return run_step(n, params, vonage(), _ncco, base=base_url(request, settings()))
