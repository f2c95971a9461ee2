"""The cron schedule, run by RQ's own cron scheduler (`rq.cron.CronScheduler`).

- every night (`defaults.NIGHTLY_CRON`): `jobs.nightly.nightly_rebuild` re-reconciles the
  last `NIGHTLY_REBUILD_DAYS` days of every site, so a lost Redis job loses nothing;
- every morning (`defaults.STATS_CRON`): `jobs.nightly.monthly_statistics` computes the
  month's statistics and writes each member company's follow-up report.

RQ's `CronJob.enqueue` builds a plain `Queue`, which pickles; our workers read JSON.  So the
cron jobs here are `JsonCronJob`s: the same bookkeeping (job history, cron registry), a
JSON queue, and the project's `Retry`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from redis import Redis
from rq import Retry, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import (
    DEFAULT_CRON_JOB_HISTORY_LIMIT,
    DEFAULT_CRON_JOB_HISTORY_TTL,
    DEFAULT_RESULT_TTL,
)
from rq.job import Job
from rq.webhook import Webhook

from jobs import defaults
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
    """RQ's cron scheduler, registering `JsonCronJob`s."""

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


def build_cron(connection: Redis) -> GenbaCronScheduler:
    """The project's schedule on a cron scheduler (not started)."""
    from jobs.nightly import monthly_statistics, nightly_rebuild

    scheduler = GenbaCronScheduler(connection=connection, name="")
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


def run_cron(settings: Any) -> None:
    """Process entry point of `genba-call worker`'s cron process (spawned, so it shares
    nothing with the worker but the settings)."""
    from jobs.connection import redis_for
    from jobs.runtime import use_settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    use_settings(settings)
    build_cron(redis_for(settings)).start()
