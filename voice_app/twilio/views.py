"""/twilio/*: the webhooks Twilio calls.

`/twilio/voice` (the Voice URL), `/twilio/gather/<n>` (each later step: what `<Gather action>`
and `<Redirect>` name), `/twilio/status` (status callback → call log), `/twilio/fallback`
(Twilio's fallback URL when a webhook failed).  Every answer is TwiML; every request must be
signed (see `security`).  When the database does not answer, the call goes to the spool and
the caller still hears that it was received; only if that fails too do they hear that nothing
was recorded and what to do.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from voice_app.extensions import db, runtime, settings
from voice_app.providers import Provider, WebhookParams, twilio
from voice_app.ratelimit import gate_webhook
from voice_app.spool import Spool
from voice_app.twilio.core import DB_UNAVAILABLE, answer_step
from voice_app.twilio.params import TwilioParams
from voice_app.twilio.replay import enqueue_replay, replay_pending, spool_call
from voice_app.twilio.security import refusal
from voice_app.twilio.twiml import empty_answer, system_down_answer
from workers_db.calls import record_status
from workers_db.settings import Settings

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

MAX_STEP = 50
_GATHER_PATH = re.compile(r"/twilio/gather/([0-9]{1,3})$")


def _xml(body: str) -> Response:
    return Response(body, 200, mimetype="text/xml")


@bp.before_request
def _verify_signature() -> ResponseReturnValue | None:
    why = refusal(request, settings())
    if why is None:  # a validated caller: now the per-caller rate limit (voice_app.ratelimit)
        return gate_webhook(request, settings(), runtime().redis())
    log.warning("403 for %s: %s", request.path, why)
    return Response("Forbidden: request not signed by Twilio\n", 403, mimetype="text/plain")


@bp.post("/voice")
def voice() -> ResponseReturnValue:
    return _step(0)


@bp.post("/gather/<int:n>")
def gather(n: int) -> ResponseReturnValue:
    return _step(min(max(n, 1), MAX_STEP))


@bp.post("/status")
def status() -> ResponseReturnValue:
    params = TwilioParams.parse(request.form)
    response = _xml(empty_answer())
    if params.call_sid is not None:
        try:
            now = _now()
            record_status(
                db(),
                params.call_sid,
                from_e164=params.caller(),
                to_e164=params.context(now).dialed,
                status=params.fields.get("CallStatus", ""),
                duration=params.fields.get("CallDuration", ""),
                now=now,
            )
            db().commit()
        except DB_UNAVAILABLE as exc:
            _discard_session()
            log.warning(
                "call log of %s not written: database unavailable (%s)",
                params.call_sid,
                type(exc).__name__,
            )
        else:
            _replay_after(response)
    return response


@bp.post("/fallback")
def fallback() -> ResponseReturnValue:
    params = TwilioParams.parse(request.form)
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
    now = _now()
    try:
        answer = answer_step(db(), settings(), n, params, now)
    except Exception:  # the last line of defence: keep the call, whatever went wrong
        log.exception("fallback could not answer call %s step %s; spooling", params.call_sid, n)
        _discard_session()
        return _xml(spool_or_give_up(n, params, now))
    response = _xml(answer.xml)
    _replay_after(response)
    return response


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # e.g. a malformed IPv6 host
        return ""


def _step(n: int) -> Response:
    now = _now()
    params = TwilioParams.parse(request.form)
    if params.call_sid is None:
        log.warning("webhook %s without a usable CallSid: nothing recorded", request.path)
        return _xml(system_down_answer())
    try:
        answer = answer_step(db(), settings(), n, params, now)
    except DB_UNAVAILABLE as exc:
        _discard_session()
        log.warning(
            "database unavailable for call %s step %s (%s)", params.call_sid, n, type(exc).__name__
        )
        return _xml(spool_or_give_up(n, params, now))
    response = _xml(answer.xml)
    _replay_after(response)
    return response


def spool_or_give_up(
    n: int, params: WebhookParams, now: datetime, speaker: Provider | None = None
) -> str:
    """What the caller hears when the database did not answer: kept in the spool, or (when
    that fails too) that nothing was recorded; in the provider's own answer format."""
    speaker = speaker or twilio()
    try:
        answer = spool_call(settings(), n, params, now, speaker)
    except OSError as exc:
        log.error(
            "call %s step %s NOT recorded: database unavailable and spool failed (%s)",
            params.call_sid,
            n,
            exc,
        )
        return speaker.system_down_answer()
    try:
        enqueue_replay(runtime().queue())
    except (RedisError, OSError) as exc:
        log.warning("spool replay job not enqueued (%s); the next call replays", exc)
    return answer


def _replay_after(response: Response) -> None:
    """The database answered: replay what the spool holds once the response is sent."""
    rt = runtime()
    if Spool(rt.settings.spool_path).has_pending():
        current, factory = rt.settings, rt.session_factory
        response.call_on_close(lambda: _replay_quietly(current, factory))


def _replay_quietly(current: Settings, factory: sessionmaker[Session]) -> None:
    try:
        replay_pending(current, factory)
    except Exception:  # after the response: a failed replay must not hurt the worker
        log.exception("spool replay failed; it is retried after the next call")


def _discard_session() -> None:
    with contextlib.suppress(*DB_UNAVAILABLE):
        db().rollback()


def _now() -> datetime:
    """The time of the webhook; `GENBA_CLOCK` in the app config (a callable) replaces the
    system clock where a test needs a given hour of a given day."""
    clock = current_app.config.get("GENBA_CLOCK")
    return clock() if clock is not None else datetime.now(UTC)
