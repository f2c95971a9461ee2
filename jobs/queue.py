"""Enqueueing after commit, never before (the job must find its row), coalesced per site/day.

The writes of workers_db mark the (site, day) they change on the session
(`workers_db.changes`); the after-commit hook installed here sends those marks, so nothing
reaches Redis until the session commits and no call site asks for a reconciliation.  In the
web app (and its `genba-call` commands) they go from a thread of the process, a moment after
the commit, each site and day once for many commits (`install_dispatch`); in an RQ job, at
once.
A Redis that does not answer costs a log line, not the check-in: the nightly rebuild
re-reconciles recent days, so a lost job loses nothing.

Most commits need no round trip at all: a process remembers, per site and day, until when the
job it knows to be waiting cannot have started (`Coverage`), and a commit before then is read
by that job.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
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
from jobs.connection import LuaScript
from jobs.deferred import Deferred
from workers_db.changes import take_marks

log = logging.getLogger(__name__)

_QUEUE_KEY = "genba_queue_getter"
_COVERAGE_KEY = "genba_reconcile_coverage"
_DEFERRED_KEY = "genba_reconcile_deferred"
_COALESCE_PREFIX = "genba:coalesce:"


def make_queue(connection: Redis, name: str = defaults.QUEUE_NAME) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def reconcile_job_id(site_id: int, work_date: date) -> str:
    return f"reconcile-{site_id}-{work_date.isoformat()}"


class Coverage:
    """Per process: the (site, day)s whose waiting reconcile job will read any commit made
    before a local deadline, so that such a commit needs no Redis round trip.

    `enqueue_reconcile` notes a deadline when it has seen a marker that says a job is
    scheduled (the marker's value `scheduled` is written in the same MULTI that schedules the
    job, so it never stands for a scheduling that failed) or has just scheduled one itself:
    the marker dies before that job can start (see `enqueue_reconcile`), and it still had
    `life` ms to live when Redis answered, so it lives at least until `asked + life`, `asked`
    being this process's monotonic clock *before* the request was sent.  The deadline is that
    moment less `COALESCE_MARGIN_S`, which covers a step of the Redis host's wall clock (its
    expiries follow it) and the rates of two clocks over a few seconds.  A commit is checked
    after it has completed: before the deadline the job has not started, and its reads see the
    commit.  After the deadline the process asks Redis again, as every commit did before.

    Not covered, so always asked: a marker of a scheduling still in flight (`claimed`), a job
    due but not yet taken (no marker), and any site and day this process has not asked about.
    A Redis that loses its data (a restart without persistence, FLUSHDB) loses the job this
    memory relies on, for at most a marker's life: the nightly rebuild catches up, as for any
    lost job."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._until: dict[tuple[int, date], float] = {}
        self._lock = threading.Lock()

    def covers(self, site_id: int, work_date: date) -> bool:
        return self.clock() < self._until.get((site_id, work_date), 0.0)

    def note(self, site_id: int, work_date: date, marker_alive_until: float) -> None:
        deadline = marker_alive_until - defaults.COALESCE_MARGIN_S
        with self._lock:
            if len(self._until) >= _COVERAGE_PRUNE_AT:  # past days and quiet sites
                now = self.clock()
                self._until = {k: v for k, v in self._until.items() if v > now}
            self._until[(site_id, work_date)] = deadline

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


_COVERAGE_PRUNE_AT = 1024


Mark = tuple[int, date]  # (site id, work date)


def install_dispatch(
    factory: sessionmaker[Session],
    queue_getter: Callable[[], Queue],
    coverage: Coverage | None = None,
    *,
    deferred: bool = False,
) -> None:
    """Make every session of `factory` enqueue the days its commits marked (one `Coverage`
    shared by the sessions of the factory, i.e. by the process).

    `deferred` (the web app): the requests go through a `jobs.deferred.Deferred` of the
    factory's, each site and day once, `defaults.CLAIM_BATCH_S` after the first commit that
    asked.  Without it, every commit not covered made its own round trip to Redis before the
    webhook answered, while a morning rush at one site asks for the same site and day
    hundreds of times a second.  Sent later, the request is still sent after the commit,
    which is all that `enqueue_reconcile` needs: the job it leaves waiting has not started
    when the request is answered, and reads the commit.  The job is scheduled up to
    `CLAIM_BATCH_S` later (it waits `COALESCE_DELAY_S` anyway); requests lost with a killed
    process are lost as with a Redis that does not answer: the nightly rebuild re-reconciles
    recent days.  An RQ job's process may end without `atexit`, so there each is sent at
    once."""
    info = factory.kw.setdefault("info", {})
    # Once per factory, remembered on the factory itself: `event.contains` answers by id(),
    # and a new factory that reuses the id of a collected one was then left without the hook.
    if _QUEUE_KEY not in info:
        event.listen(factory, "after_commit", _after_commit)
    info[_QUEUE_KEY] = queue_getter
    info[_COVERAGE_KEY] = covered = coverage or Coverage()
    if deferred:
        info[_DEFERRED_KEY] = Deferred[Mark](
            lambda marks: _claim(queue_getter, covered, marks),
            name="reconcile-claims",
            delay=lambda: defaults.CLAIM_BATCH_S,
        )
    else:
        info.pop(_DEFERRED_KEY, None)


def _after_commit(session: Session) -> None:
    pending = take_marks(session)
    getter = session.info.get(_QUEUE_KEY)
    if not pending or getter is None:
        return
    coverage: Coverage = session.info[_COVERAGE_KEY]
    uncovered = [mark for mark in sorted(pending) if not coverage.covers(*mark)]
    if not uncovered:
        return
    deferred: Deferred[Mark] | None = session.info.get(_DEFERRED_KEY)
    if deferred is not None:
        deferred.add(uncovered)
    else:
        _claim(getter, coverage, uncovered)


def _claim(queue_getter: Callable[[], Queue], coverage: Coverage, marks: list[Mark]) -> None:
    """`enqueue_reconcile` for each site and day still not covered."""
    try:
        queue = queue_getter()
        for site_id, work_date in marks:
            if not coverage.covers(site_id, work_date):
                enqueue_reconcile(queue, site_id, work_date, coverage)
    except RedisError as exc:
        log.warning("reconcile not enqueued (Redis: %s); the nightly rebuild will catch up", exc)


def enqueue_reconcile(
    queue: Queue, site_id: int, work_date: date, coverage: Coverage | None = None
) -> Job | None:
    """Enqueue `jobs.reconcile.reconcile_site_days` for one site and day, unless a job for
    the same site and day is still waiting (then that job will see the new events).

    Called after the commit.  One Redis round trip decides (`_CLAIM`, atomic): a marker
    `genba:coalesce:{site}:{day}` lives a second less than `COALESCE_DELAY_S` from the moment
    a job was scheduled, and that job is due `COALESCE_DELAY_S` after it (RQ may start it up
    to a second early), so while the marker exists the job has not started and will read
    this commit.  Without the marker: a job still waiting
    (due but not yet picked up) will also read it, and the marker is not set, so the next
    call checks again; otherwise the marker is set and the job scheduled.  A call that comes
    after the job started finds no marker and schedules the next run.

    The marker is set as `claimed`; the MULTI that schedules the job turns it into
    `scheduled`.  With `coverage`, a `scheduled` marker's remaining life (or the whole life of
    the one just set) is remembered there, and the caller skips this function until then."""
    job_id = reconcile_job_id(site_id, work_date)
    marker = f"{_COALESCE_PREFIX}{site_id}:{work_date.isoformat()}"
    redis = queue.connection
    asked = coverage.clock() if coverage is not None else 0.0  # before the request is sent
    verdict, marker_life_ms = _CLAIM(redis, [marker, Job.key_for(job_id)], [_MARKER_MS])
    if verdict == _COALESCED:
        if coverage is not None and marker_life_ms > 0:
            coverage.note(site_id, work_date, asked + marker_life_ms / 1000)
        return None
    if verdict == _RUNNING:
        # The job with that id is running.  Its follow-up gets an id of its own: RQ keeps one
        # hash per id, and the running job's completion writes over the follow-up scheduled
        # under the same id, which then never ran (drills/morning_rush at capacity).
        job_id = f"{job_id}-{uuid.uuid4().hex[:12]}"
    try:
        with redis.pipeline() as multi:
            job = queue.enqueue_in(
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
                pipeline=multi,
            )
            multi.set(marker, _SCHEDULED, xx=True, keepttl=True)
            marked = multi.execute()[-1]
    except BaseException:
        with contextlib.suppress(RedisError):
            redis.delete(marker)  # not scheduled: the next call must try again
        raise
    if coverage is not None and marked:
        coverage.note(site_id, work_date, asked + _MARKER_MS / 1000)
    return job


# RQ keeps scheduled jobs by whole seconds (`ScheduledJobRegistry` scores are truncated
# timestamps), so a job due at t + COALESCE_DELAY_S may start up to a second earlier.  The
# marker must be gone by then, or a commit in that second is skipped while the job has
# already read the events: that worker-day then had no record until the nightly rebuild
# (found by drills/morning_rush; one or two worker-days in a thousand).
_MARKER_MS = max(1, (defaults.COALESCE_DELAY_S - 1) * 1000)

# KEYS[1] the marker, KEYS[2] the job's hash; ARGV[1] the marker's life in ms.  Answers
# {verdict, ms}: verdict 0 = coalesced, 1 = schedule, 2 = schedule while the job of that id is
# running (under another id); ms = what is left of a `scheduled` marker's life, else 0.
_COALESCED, _RUNNING = 0, 2
_SCHEDULED = "scheduled"
_CLAIM = LuaScript("""
local life = redis.call('PTTL', KEYS[1])
if life ~= -2 then
  if life > 0 and redis.call('GET', KEYS[1]) == 'scheduled' then return {0, life} end
  return {0, 0}
end
local status = redis.call('HGET', KEYS[2], 'status')
if status == 'queued' or status == 'scheduled' or status == 'deferred' then return {0, 0} end
redis.call('SET', KEYS[1], 'claimed', 'PX', ARGV[1])
if status == 'started' then return {2, 0} end
return {1, 0}
""")
