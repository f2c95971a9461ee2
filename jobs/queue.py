"""Enqueueing after commit, never before (the job must find its row), coalesced per site/day.

The writes of workers_db mark the (site, day) they change on the session
(`workers_db.changes`); the after-commit hook installed here sends those marks, so nothing
reaches Redis until the session commits and no call site asks for a reconciliation.  A Redis
that does not answer costs a log line, not the check-in: the nightly rebuild re-reconciles
recent days, so a lost job loses nothing.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from jobs import defaults
from workers_db.changes import take_marks

log = logging.getLogger(__name__)

_QUEUE_KEY = "genba_queue_getter"
_COALESCE_PREFIX = "genba:coalesce:"


def make_queue(connection: Redis, name: str = defaults.QUEUE_NAME) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def reconcile_job_id(site_id: int, work_date: date) -> str:
    return f"reconcile-{site_id}-{work_date.isoformat()}"


def install_dispatch(factory: sessionmaker[Session], queue_getter: Callable[[], Queue]) -> None:
    """Make every session of `factory` enqueue the days its commits marked."""
    factory.kw.setdefault("info", {})[_QUEUE_KEY] = queue_getter
    if not event.contains(factory, "after_commit", _after_commit):
        event.listen(factory, "after_commit", _after_commit)


def _after_commit(session: Session) -> None:
    pending = take_marks(session)
    getter = session.info.get(_QUEUE_KEY)
    if not pending or getter is None:
        return
    try:
        queue = getter()
        for site_id, work_date in sorted(pending):
            enqueue_reconcile(queue, site_id, work_date)
    except RedisError as exc:
        log.warning("reconcile not enqueued (Redis: %s); the nightly rebuild will catch up", exc)


def enqueue_reconcile(queue: Queue, site_id: int, work_date: date) -> Job | None:
    """Enqueue `jobs.reconcile.reconcile_site_days` for one site and day, unless a job for
    the same site and day is still waiting (then that job will see the new events).

    Called after the commit.  One Redis round trip decides (`_CLAIM`, atomic): a marker
    `genba:coalesce:{site}:{day}` lives a second less than `COALESCE_DELAY_S` from the moment
    a job was scheduled, and that job is due `COALESCE_DELAY_S` after it (RQ may start it up
    to a second early), so while the marker exists the job has not started and will read
    this commit.  Without the marker: a job still waiting
    (due but not yet picked up) will also read it, and the marker is not set, so the next
    call checks again; otherwise the marker is set and the job scheduled.  A call that comes
    after the job started finds no marker and schedules the next run."""
    job_id = reconcile_job_id(site_id, work_date)
    marker = f"{_COALESCE_PREFIX}{site_id}:{work_date.isoformat()}"
    redis = queue.connection
    claimed = redis.register_script(_CLAIM)(  # EVALSHA; loaded again after a restart
        keys=[marker, Job.key_for(job_id)],
        args=[_MARKER_MS],
    )
    if not claimed:
        return None
    if claimed == _RUNNING:
        # The job with that id is running.  Its follow-up gets an id of its own: RQ keeps one
        # hash per id, and the running job's completion writes over the follow-up scheduled
        # under the same id, which then never ran (drills/morning_rush at capacity).
        job_id = f"{job_id}-{uuid.uuid4().hex[:12]}"
    try:
        return queue.enqueue_in(
            timedelta(seconds=defaults.COALESCE_DELAY_S),
            "jobs.reconcile.reconcile_site_days",
            site_id,
            work_date.isoformat(),
            work_date.isoformat(),
            job_id=job_id,
            job_timeout=defaults.JOB_TIMEOUT_S,
            result_ttl=defaults.RESULT_TTL_S,
            failure_ttl=defaults.FAILURE_TTL_S,
            retry=Retry(max=defaults.RETRY_MAX, interval=list(defaults.RETRY_INTERVALS_S)),
        )
    except BaseException:
        with contextlib.suppress(RedisError):
            redis.delete(marker)  # not scheduled: the next call must try again
        raise


# RQ keeps scheduled jobs by whole seconds (`ScheduledJobRegistry` scores are truncated
# timestamps), so a job due at t + COALESCE_DELAY_S may start up to a second earlier.  The
# marker must be gone by then, or a commit in that second is skipped while the job has
# already read the events: that worker-day then had no record until the nightly rebuild
# (found by drills/morning_rush; one or two worker-days in a thousand).
_MARKER_MS = max(1, (defaults.COALESCE_DELAY_S - 1) * 1000)

# KEYS[1] the marker, KEYS[2] the job's hash; ARGV[1] the marker's life in ms.  0 = coalesced,
# 1 = schedule, 2 = schedule while the job of that id is running (under another id).
_RUNNING = 2
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local status = redis.call('HGET', KEYS[2], 'status')
if status == 'queued' or status == 'scheduled' or status == 'deferred' then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
if status == 'started' then return 2 end
return 1
"""
