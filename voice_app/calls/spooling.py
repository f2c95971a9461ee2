"""Spooling a webhook the database could not take, and replaying the spool.

Replays happen (a) after the next webhook that the database answered, once its response is
sent, and (b) in an RQ job enqueued when the call was spooled, retried at growing intervals
while the database stays away (`jobs.defaults.RETRY_INTERVALS_S`).  The job only helps where
the worker shares the instance folder (the embedded default, a single host); (a) works
everywhere.  Either way each entry reaches the database once (see `voice_app.spool`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy.orm import Session, sessionmaker

from jobs import defaults
from voice_app.calls.providers import Provider, WebhookParams, twilio
from voice_app.calls.runner import DB_UNAVAILABLE, replay_entry
from voice_app.spool import ReplayReport, RetryLater, Spool
from workers_db.settings import Settings

log = logging.getLogger(__name__)

REPLAY_JOB = "voice_app.calls.spooling.replay_spool_job"
REPLAY_JOB_ID = "replay-spool"
REPLAY_DELAY_S = 10


def spool_call(
    settings: Settings,
    n: int,
    params: WebhookParams,
    now: datetime,
    speaker: Provider | None = None,
) -> str:
    """Keep the webhook durably and return what the caller hears (in the provider's own
    answer format).  Raises OSError when the spool cannot be written either."""
    assert params.call_sid is not None
    speaker = speaker or twilio()
    answer = speaker.spooled_answer()
    entry = {
        "version": 1,
        "provider": speaker.name,
        "step": n,
        "params": params.fields,
        "received_at": now.isoformat(),
        "answer_xml": answer,
    }
    spool = Spool(settings.spool_path)
    spool.put(Spool.key(params.call_sid, n), entry)
    log.warning("call %s step %s spooled (database unavailable)", params.call_sid, n)
    return answer


def enqueue_replay(queue: Queue) -> None:
    """Best effort: Redis may be down as well; then the next good webhook replays."""
    try:
        queue.enqueue_in(
            timedelta(seconds=REPLAY_DELAY_S),
            REPLAY_JOB,
            job_id=REPLAY_JOB_ID,
            job_timeout=defaults.JOB_TIMEOUT_S,
            result_ttl=defaults.RESULT_TTL_S,
            failure_ttl=defaults.FAILURE_TTL_S,
            retry=Retry(max=defaults.RETRY_MAX, interval=list(defaults.RETRY_INTERVALS_S)),
        )
    except RedisError as exc:
        log.warning("spool replay job not enqueued (Redis: %s); the next call replays", exc)


def replay_pending(settings: Settings, factory: sessionmaker[Session]) -> ReplayReport:
    def handle(entry: dict[str, Any]) -> None:
        session = factory()
        try:
            replay_entry(session, settings, entry)
        except DB_UNAVAILABLE as exc:
            raise RetryLater(str(exc)) from exc
        finally:
            session.close()

    report = Spool(settings.spool_path).replay(handle)
    if report.replayed or report.quarantined:
        log.info("spool replay: %s", report.as_dict())
    return report


def replay_spool_job() -> dict[str, Any]:
    """RQ job: replay the spool of this host; raises (so RQ retries) while the DB is away."""
    from jobs import runtime

    report = replay_pending(runtime.settings(), runtime.session_factory())
    if report.waiting:
        raise RuntimeError("database still unavailable; the spool waits for the next retry")
    return report.as_dict()
