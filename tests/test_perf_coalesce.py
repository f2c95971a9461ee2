"""The reconcile request's coalescing (`jobs.queue.enqueue_reconcile`) on a real Redis: one
round trip decides, and the semantics are those of the status check it replaced; a process
that knows the job is waiting (`jobs.queue.Coverage`) skips that round trip until shortly
before the job could start."""

from __future__ import annotations

import time
from datetime import date

import pytest
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisDown
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from jobs import defaults
from jobs.queue import Coverage, enqueue_reconcile, make_queue, reconcile_job_id

from .helpers import claims_sent

DAY = date(2026, 4, 1)


def marker(site_id: int, day: date) -> str:
    return f"genba:coalesce:{site_id}:{day.isoformat()}"


def expire_marker(redis: Redis, site_id: int, day: date) -> None:
    """What `COALESCE_DELAY_S` of waiting does to the marker."""
    redis.delete(marker(site_id, day))


def test_a_burst_for_one_site_and_day_schedules_one_job(redis_conn: Redis) -> None:
    queue = make_queue(redis_conn)
    jobs = [enqueue_reconcile(queue, 7, DAY) for _ in range(20)]
    scheduled = [job for job in jobs if job is not None]
    assert len(scheduled) == 1
    assert queue.scheduled_job_registry.get_job_ids() == [reconcile_job_id(7, DAY)]
    ttl = redis_conn.pttl(marker(7, DAY))
    assert 0 < ttl <= defaults.COALESCE_DELAY_S * 1000
    job = Job.fetch(reconcile_job_id(7, DAY), connection=redis_conn, serializer=JSONSerializer)
    assert job.func_name == "jobs.reconcile.reconcile_site_days"
    assert job.args == [7, "2026-04-01", "2026-04-01"]
    assert job.retries_left == defaults.RETRY_MAX
    assert job.get_status() == JobStatus.SCHEDULED
    # another day or another site is another job
    assert enqueue_reconcile(queue, 7, date(2026, 4, 2)) is not None
    assert enqueue_reconcile(queue, 8, DAY) is not None


def test_a_call_after_the_job_started_schedules_another_run(redis_conn: Redis) -> None:
    queue = make_queue(redis_conn)
    job = enqueue_reconcile(queue, 7, DAY)
    assert job is not None
    expire_marker(redis_conn, 7, DAY)
    job.set_status(JobStatus.STARTED)  # a worker took it: it may not see later commits
    again = enqueue_reconcile(queue, 7, DAY)
    assert again is not None
    assert again.get_status() == JobStatus.SCHEDULED
    assert enqueue_reconcile(queue, 7, DAY) is None  # coalesced into the new run


def test_a_job_due_but_not_yet_taken_is_not_pushed_back(redis_conn: Redis) -> None:
    """The marker is gone but the job still waits (the scheduler has not moved it yet, or no
    worker was free): that job reads the new commit, so nothing is scheduled, and no marker is
    set, so each following call checks the job's status again until it starts."""
    queue = make_queue(redis_conn)
    job = enqueue_reconcile(queue, 7, DAY)
    assert job is not None
    score = redis_conn.zscore(queue.scheduled_job_registry.key, job.id)
    expire_marker(redis_conn, 7, DAY)
    for status in (JobStatus.SCHEDULED, JobStatus.QUEUED):
        job.set_status(status)
        assert enqueue_reconcile(queue, 7, DAY) is None
        assert not redis_conn.exists(marker(7, DAY))
    assert redis_conn.zscore(queue.scheduled_job_registry.key, job.id) == score
    job.set_status(JobStatus.FINISHED)
    assert enqueue_reconcile(queue, 7, DAY) is not None


# ------------------------------------------------- a process's memory of the waiting job


class Clock:
    """A monotonic clock that moves only when told (Coverage's deadlines, tested exactly)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_process_that_scheduled_the_job_is_covered_until_shortly_before_the_marker_dies(
    redis_conn: Redis,
) -> None:
    queue, clock = make_queue(redis_conn), Clock()
    coverage = Coverage(clock)
    assert not coverage.covers(7, DAY)
    assert enqueue_reconcile(queue, 7, DAY, coverage) is not None
    assert redis_conn.get(marker(7, DAY)) == b"scheduled"  # in the MULTI that scheduled it
    life_s = (defaults.COALESCE_DELAY_S - 1) - defaults.COALESCE_MARGIN_S
    clock.now += life_s - 0.001
    assert coverage.covers(7, DAY)
    assert not coverage.covers(7, date(2026, 4, 2)) and not coverage.covers(8, DAY)
    clock.now += 0.002
    assert not coverage.covers(7, DAY)


def test_the_job_cannot_be_due_before_the_coverage_ends(redis_conn: Redis) -> None:
    """What makes a skipped request safe: the scheduled job's due time (RQ's whole seconds, by
    the wall clock) comes after the deadline (by the monotonic clock), margin included."""
    queue, coverage = make_queue(redis_conn), Coverage()
    wall, monotonic = time.time(), time.monotonic()
    job = enqueue_reconcile(queue, 7, DAY, coverage)
    assert job is not None
    due = redis_conn.zscore(queue.scheduled_job_registry.key, job.id)
    assert due is not None
    covered_s = defaults.COALESCE_DELAY_S - 1 - defaults.COALESCE_MARGIN_S
    assert due >= wall + covered_s + defaults.COALESCE_MARGIN_S
    assert coverage.covers(7, DAY) and time.monotonic() < monotonic + covered_s
    assert redis_conn.pttl(marker(7, DAY)) <= (defaults.COALESCE_DELAY_S - 1) * 1000


def test_a_scheduled_marker_covers_another_process_for_what_is_left_of_its_life(
    redis_conn: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = make_queue(redis_conn)
    assert enqueue_reconcile(queue, 7, DAY, Coverage()) is not None
    redis_conn.pexpire(marker(7, DAY), 2000)  # the job was scheduled a while ago
    clock = Clock()
    other = Coverage(clock)
    sent = claims_sent(monkeypatch, redis_conn)
    assert enqueue_reconcile(queue, 7, DAY, other) is None
    assert len(sent) == 1
    clock.now += 2.0 - defaults.COALESCE_MARGIN_S - 0.1  # the marker's PTTL was read a little later
    assert other.covers(7, DAY)
    clock.now += 0.1 + 0.001
    assert not other.covers(7, DAY)
    assert queue.scheduled_job_registry.get_job_ids() == [reconcile_job_id(7, DAY)]


def test_a_marker_of_a_scheduling_in_flight_covers_nothing(redis_conn: Redis) -> None:
    """Another process has claimed the day and not yet scheduled (or failed to): this call is
    coalesced as before, but nothing is remembered, so the next commit asks again."""
    queue, coverage = make_queue(redis_conn), Coverage()
    redis_conn.set(marker(7, DAY), "claimed", px=4000)
    assert enqueue_reconcile(queue, 7, DAY, coverage) is None
    assert not coverage.covers(7, DAY)
    redis_conn.set(marker(7, DAY), "1", px=4000)  # a marker of the code before this one
    assert enqueue_reconcile(queue, 7, DAY, coverage) is None
    assert not coverage.covers(7, DAY)


def test_a_failed_scheduling_leaves_neither_marker_nor_coverage(
    redis_conn: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue, coverage = make_queue(redis_conn), Coverage()

    def refuse(self: Pipeline, raise_on_error: bool = True) -> list[object]:
        raise RedisDown("Redis went away during the MULTI")

    with monkeypatch.context() as patched:
        patched.setattr(Pipeline, "execute", refuse)
        with pytest.raises(RedisDown):
            enqueue_reconcile(queue, 7, DAY, coverage)
    assert not coverage.covers(7, DAY)
    assert not redis_conn.exists(marker(7, DAY))
    assert queue.scheduled_job_registry.get_job_ids() == []
    assert enqueue_reconcile(queue, 7, DAY, coverage) is not None  # the next commit schedules
    assert coverage.covers(7, DAY)


def test_a_job_due_but_not_yet_taken_covers_nothing(redis_conn: Redis) -> None:
    queue, coverage = make_queue(redis_conn), Coverage()
    job = enqueue_reconcile(queue, 7, DAY)
    assert job is not None
    expire_marker(redis_conn, 7, DAY)  # due: it may start at any moment
    assert enqueue_reconcile(queue, 7, DAY, coverage) is None
    assert not coverage.covers(7, DAY)
