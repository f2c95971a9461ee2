"""The cron schedule, run by RQ's own cron scheduler (`rq.cron.CronScheduler`).

- every night (`defaults.NIGHTLY_CRON`): `jobs.nightly.nightly_rebuild` re-reconciles the
  last `NIGHTLY_REBUILD_DAYS` days of every site, so a lost Redis job loses nothing;
- every morning (`defaults.STATS_CRON`): `jobs.nightly.monthly_statistics` computes the
  month's statistics and writes each member company's follow-up report.

Only one worker's cron process schedules at a time (`jobs.cron_lock`): RQ's cron takes no
lock of its own, and two workers would enqueue every cron job twice.

RQ's `CronJob.enqueue` builds a plain `Queue`, which pickles; our workers read JSON.  So the
cron jobs here are `JsonCronJob`s: the same bookkeeping (job history, cron registry), a
JSON queue, and the project's `Retry`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Retry, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import (
    DEFAULT_CRON_JOB_HISTORY_LIMIT,
    DEFAULT_CRON_JOB_HISTORY_TTL,
    DEFAULT_RESULT_TTL,
)
from rq.exceptions import StopRequested
from rq.job import Job
from rq.webhook import Webhook

from jobs import defaults
from jobs.cron_lock import CronLeadership
from jobs.queue import make_queue

log = logging.getLogger(__name__)


class JsonCronJob(CronJob):
    """A cron job enqueued through the project's JSON queue, with retries."""

    def enqueue(self, connection: Redis) -> Job:
        if not self.func:
            raise ValueError("a cron job loaded for monitoring cannot be enqueued")
        queue = make_queue(connection, self.queue_name)
        retry = Retry(max=defaults.RETRY_MAX, interval=list(defaults.RETRY_INTERVALS_S))
        with connection.pipeline() as pipeline:
            job = queue.enqueue(
                self.func,
                args=self.args,
                kwargs=self.kwargs,
                retry=retry,
                pipeline=pipeline,
                **self.job_options,
            )
            assert job.enqueued_at is not None
            stamp = job.enqueued_at.timestamp()
            pipeline.zadd(self.job_history_key, {job.id: stamp})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=stamp)
            pipeline.execute()
        log.info("cron: enqueued %s as job %s", self.func_name, job.id)
        return job


class GenbaCronScheduler(CronScheduler):
    """RQ's cron scheduler, registering `JsonCronJob`s, scheduling only while it holds the
    cron lock (renewed before each round; a lost lock stops it like a stop request)."""

    leadership: CronLeadership | None = None

    def enqueue_jobs(self) -> list[CronJob]:
        if self.leadership is not None:
            self.leadership.renew()
        return super().enqueue_jobs()

    def calculate_sleep_interval(self) -> float:
        """RQ sleeps up to 60 s between rounds; wake in time to renew the lock."""
        interval = super().calculate_sleep_interval()
        if self.leadership is None:
            return interval
        return min(interval, defaults.CRON_LOCK_RENEW_S)

    def register(
        self,
        func: Callable[..., Any],
        queue_name: str,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        interval: int | None = None,
        cron: str | None = None,
        job_timeout: int | None = None,
        result_ttl: int = DEFAULT_RESULT_TTL,
        ttl: int | None = None,
        failure_ttl: int | None = None,
        meta: dict[str, Any] | None = None,
        webhooks: Sequence[Webhook] | None = None,
        name: str = "",
    ) -> CronJob:
        job = JsonCronJob(
            queue_name=queue_name,
            func=func,
            args=args,
            kwargs=kwargs,
            interval=interval,
            cron=cron,
            job_timeout=job_timeout,
            result_ttl=result_ttl,
            ttl=ttl,
            failure_ttl=failure_ttl,
            meta=meta,
            webhooks=webhooks,
            name=name,
        )
        self._cron_jobs.append(job)
        return job


def build_cron(connection: Redis, leadership: CronLeadership | None = None) -> GenbaCronScheduler:
    """The project's schedule on a cron scheduler (not started)."""
    from jobs.nightly import monthly_statistics, nightly_rebuild

    scheduler = GenbaCronScheduler(connection=connection, name="")
    scheduler.leadership = leadership
    scheduler.register(
        nightly_rebuild,
        defaults.QUEUE_NAME,
        args=(defaults.NIGHTLY_REBUILD_DAYS,),
        cron=defaults.NIGHTLY_CRON,
        job_timeout=defaults.NIGHTLY_JOB_TIMEOUT_S,
        result_ttl=defaults.RESULT_TTL_S * 24,
        failure_ttl=defaults.FAILURE_TTL_S,
        name="nightly_rebuild",
    )
    scheduler.register(
        monthly_statistics,
        defaults.QUEUE_NAME,
        cron=defaults.STATS_CRON,
        job_timeout=defaults.STATS_JOB_TIMEOUT_S,
        result_ttl=defaults.RESULT_TTL_S * 24,
        failure_ttl=defaults.FAILURE_TTL_S,
        name="monthly_statistics",
    )
    return scheduler


def run_cron(settings: Any, worker_pid: int) -> None:
    """Process entry point of `genba-call worker`'s cron process (spawned, so it shares
    nothing with the worker but the settings).  It dies with its worker, and schedules only
    while its worker holds the cron lock; otherwise it waits for the lock."""
    from jobs.connection import redis_for
    from jobs.lifeline import die_with_parent
    from jobs.runtime import use_settings

    die_with_parent(worker_pid)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    use_settings(settings)
    connection = redis_for(settings)
    leadership = CronLeadership(connection, worker_pid)
    waiting_said = False
    try:
        while True:
            try:
                if leadership.try_acquire():
                    log.info(
                        "cron: %s holds the cron lock and runs the schedule", leadership.holder
                    )
                    waiting_said = False
                    build_cron(connection, leadership).start()
                    if leadership.held:
                        return  # stopped on request, not by losing the lock
                    log.warning("cron: lost the cron lock; waiting to take it again")
                elif not waiting_said:
                    log.info("cron: another worker runs the schedule; standing by")
                    waiting_said = True
            except RedisError as exc:
                log.warning("cron: Redis unavailable (%s); trying again", exc)
            time.sleep(defaults.CRON_LOCK_RENEW_S)
    except StopRequested:
        pass  # SIGTERM while standing by (RQ's handler raises it)
    finally:
        leadership.release()
