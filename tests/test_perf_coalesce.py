"""The reconcile request's coalescing (`jobs.queue.enqueue_reconcile`) on a real Redis: one
round trip decides, and the semantics are those of the status check it replaced."""

from __future__ import annotations

from datetime import date

from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from jobs import defaults
from jobs.queue import enqueue_reconcile, make_queue, reconcile_job_id

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
