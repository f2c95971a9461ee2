"""A webhook step inside a Flask request, for any provider's routes.

The database answered: the step's answer is returned and, once it is sent, the spool is
replayed if it holds anything.  The database did not answer: the webhook goes to the spool and
the caller still hears that it was received; only if that fails too do they hear that nothing
was recorded and what to do.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Response, current_app
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from voice_app.calls.providers import Provider, WebhookParams
from voice_app.calls.runner import DB_UNAVAILABLE, answer_step
from voice_app.calls.spooling import enqueue_replay, replay_pending, spool_call
from voice_app.extensions import db, runtime, settings
from workers_db.calls import record_status
from workers_db.settings import Settings

log = logging.getLogger(__name__)
MAX_STEP = 50  # the highest step number a route takes (a call has a dozen at most)


def run_step(
    n: int,
    params: WebhookParams,
    speaker: Provider,
    respond: Callable[[str], Response],
    base: str = "",
) -> Response:
    """Answer step `n` with the provider's renderer; `respond` wraps the body (TwiML, NCCO)."""
    moment = now()
    if params.call_sid is None:
        log.warning("webhook step %s without a usable call id: nothing recorded", n)
        return respond(speaker.system_down_answer())
    try:
        answered = answer_step(db(), settings(), n, params, moment, speaker=speaker, base=base)
    except DB_UNAVAILABLE as exc:
        discard_session()
        log.warning(
            "database unavailable for call %s step %s (%s)", params.call_sid, n, type(exc).__name__
        )
        return respond(spool_or_give_up(n, params, moment, speaker))
    response = respond(answered.xml)
    replay_after(response)
    return response


def keep_status(params: WebhookParams, status: str, duration: str, response: Response) -> None:
    """A provider's call status callback → the call log; without the database it is dropped
    (the status is not the work day)."""
    if params.call_sid is None:
        return
    moment = now()
    call = params.context(moment)
    try:
        record_status(
            db(),
            params.call_sid,
            from_e164=call.caller,
            to_e164=call.dialed,
            status=status,
            duration=duration,
            now=moment,
        )
        db().commit()
    except DB_UNAVAILABLE as exc:
        discard_session()
        log.warning(
            "call log of %s not written: database unavailable (%s)",
            params.call_sid,
            type(exc).__name__,
        )
    else:
        replay_after(response)


def spool_or_give_up(n: int, params: WebhookParams, moment: datetime, speaker: Provider) -> str:
    """What the caller hears when the database did not answer: kept in the spool, or (when
    that fails too) that nothing was recorded; in the provider's own answer format."""
    try:
        answer = spool_call(settings(), n, params, moment, speaker)
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


def replay_after(response: Response) -> None:
    """The database answered: replay what the spool holds once the response is sent."""
    rt = runtime()
    if rt.spool.has_pending():
        current, factory = rt.settings, rt.session_factory
        response.call_on_close(lambda: _replay_quietly(current, factory))


def _replay_quietly(current: Settings, factory: sessionmaker[Session]) -> None:
    try:
        replay_pending(current, factory)
    except Exception:  # after the response: a failed replay must not hurt the worker
        log.exception("spool replay failed; it is retried after the next call")


def discard_session() -> None:
    with contextlib.suppress(*DB_UNAVAILABLE):
        db().rollback()


def now() -> datetime:
    """The time of the webhook; `GENBA_CLOCK` in the app config (a callable) replaces the
    system clock where a test needs a given hour of a given day."""
    clock = current_app.config.get("GENBA_CLOCK")
    return clock() if clock is not None else datetime.now(UTC)
