"""Enqueueing after commit, never before (the job must find its row), coalesced per site/day.

Intake code calls `request_reconcile(session, site_id, work_date)`; nothing reaches Redis
until the session commits.  A Redis that does not answer costs a log line, not the check-in:
the nightly rebuild re-reconciles recent days, so a lost job loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from jobs import defaults

log = logging.getLogger(__name__)

_PENDING_KEY = "genba_reconcile_requests"
_QUEUE_KEY = "genba_queue_getter"
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def make_queue(connection: Redis, name: str = defaults.QUEUE_NAME) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def reconcile_job_id(site_id: int, work_date: date) -> str:
    return f"reconcile-{site_id}-{work_date.isoformat()}"


def request_reconcile(session: Session, site_id: int, work_date: date) -> None:
    """Ask for the (site, day) to be reconciled once this session's transaction commits."""
    session.info.setdefault(_PENDING_KEY, set()).add((site_id, work_date))


def install_dispatch(factory: sessionmaker[Session], queue_getter: Callable[[], Queue]) -> None:
    """Make every session of `factory` enqueue its pending requests after commit."""
    factory.kw.setdefault("info", {})[_QUEUE_KEY] = queue_getter
    if not event.contains(factory, "after_commit", _after_commit):
        event.listen(factory, "after_commit", _after_commit)
        event.listen(factory, "after_rollback", _after_rollback)


def _after_commit(session: Session) -> None:
    pending: set[tuple[int, date]] = session.info.pop(_PENDING_KEY, set())
    getter = session.info.get(_QUEUE_KEY)
    if not pending or getter is None:
        return
    try:
        queue = getter()
        for site_id, work_date in sorted(pending):
            enqueue_reconcile(queue, site_id, work_date)
    except RedisError as exc:
        log.warning("reconcile not enqueued (Redis: %s); the nightly rebuild will catch up", exc)


def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


def enqueue_reconcile(queue: Queue, site_id: int, work_date: date) -> Job | None:
    """Enqueue `jobs.reconcile.reconcile_site_days` for one site and day, unless a job for
    the same site and day is still waiting (then that job will see the new events)."""
    job_id = reconcile_job_id(site_id, work_date)
    try:
        existing = Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
    except Exception:  # NoSuchJobError, or an unreadable leftover: enqueue afresh
        existing = None
    if existing is not None and existing.get_status(refresh=True) in _WAITING:
        return None
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
