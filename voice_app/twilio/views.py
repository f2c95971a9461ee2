"""/twilio/*: the webhooks Twilio calls.

`/twilio/voice` (the Voice URL), `/twilio/gather/<n>` (each later step: what `<Gather action>`
and `<Redirect>` name), `/twilio/status` (status callback → call log), `/twilio/fallback`
(Twilio's fallback URL when a webhook failed).  Every answer is TwiML; every request must be
signed (see `security`).  The step itself, the spool and its replay are every provider's
(`voice_app.calls`): these routes parse Twilio's form, check its signature and render TwiML.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue

from voice_app.calls.providers import twilio
from voice_app.calls.runner import answer_step
from voice_app.calls.web import (
    MAX_STEP,
    discard_session,
    keep_status,
    now,
    replay_after,
    run_step,
    spool_or_give_up,
)
from voice_app.extensions import db, runtime, settings
from voice_app.ratelimit import gate_webhook
from voice_app.twilio.params import TwilioParams
from voice_app.twilio.security import refusal
from voice_app.twilio.twiml import empty_answer, system_down_answer

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

_GATHER_PATH = re.compile(r"/twilio/gather/([0-9]{1,3})$")


def _xml(body: str) -> Response:
    return Response(body, 200, mimetype="text/xml")


def _params() -> TwilioParams:
    """The request's form, cleaned once (the rate limit and the step both read it)."""
    params: TwilioParams | None = g.get("twilio_params")
    if params is None:
        params = g.twilio_params = TwilioParams.parse(request.form)
    return params


@bp.before_request
def _verify_signature() -> ResponseReturnValue | None:
    # The request object itself rather than the `request` proxy, read a dozen times below:
    # each attribute read through the proxy is a context-variable look-up of its own.
    current, rt = request_ctx.request, runtime()
    why = refusal(current, rt.settings)
    if why is None:  # a validated caller: now the per-caller rate limit (voice_app.ratelimit)
        return gate_webhook(current, _params(), rt.settings, rt.call_counts)
    log.warning("403 for %s: %s", current.path, why)
    return Response("Forbidden: request not signed by Twilio\n", 403, mimetype="text/plain")


@bp.post("/voice")
def voice() -> ResponseReturnValue:
    return _step(0)


@bp.post("/gather/<int:n>")
def gather(n: int) -> ResponseReturnValue:
    return _step(min(max(n, 1), MAX_STEP))


@bp.post("/status")
def status() -> ResponseReturnValue:
    params = _params()
    response = _xml(empty_answer())
    fields = params.fields
    keep_status(params, fields.get("CallStatus", ""), fields.get("CallDuration", ""), response)
    return response


@bp.post("/fallback")
def fallback() -> ResponseReturnValue:
    params = _params()
    failed = _path_of(params.fields.get("ErrorUrl", ""))
    match = _GATHER_PATH.search(failed)
    n = min(int(match.group(1)), MAX_STEP) if match else 0
    log.error(
        "Twilio fallback for call %s: error %s on %s",
        params.call_sid,
        params.fields.get("ErrorCode", "?"),
        failed or "?",
    )
    if params.call_sid is None:
        return _xml(system_down_answer())
    moment = now()
    try:
        answer = answer_step(db(), settings(), n, params, moment)
    except Exception:  # the last line of defence: keep the call, whatever went wrong
        log.exception("fallback could not answer call %s step %s; spooling", params.call_sid, n)
        discard_session()
        return _xml(spool_or_give_up(n, params, moment, twilio()))
    response = _xml(answer.xml)
    replay_after(response)
    return response


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # e.g. a malformed IPv6 host
        return ""


def _step(n: int) -> Response:
    return run_step(n, _params(), twilio(), _xml)
