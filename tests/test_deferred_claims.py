"""The web app's reconcile requests, sent after the commit by a thread of their own, each site
and day once (`jobs.deferred.Deferred`, installed by `jobs.queue.install_dispatch`), on a real
Redis and through signed webhooks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from redis import Redis
from rq.job import Job
from sqlalchemy.orm import Session

import jobs.deferred as deferred_module
from jobs import defaults
from jobs.deferred import Deferred, flush_deferred
from jobs.queue import reconcile_job_id
from workers_db.intake import work_date_of
from workers_db.registration import create_worker

from .conftest import TEST_REDIS_URL
from .helpers import claims_sent
from .ivr_support import (
    JST,
    MORNING,
    SITE_NUMBER,
    Twilio,
    World,
    clock_fixture,
    ivr_app_fixture,
    said,
    twilio_fixture,
    world_fixture,
)

__all__ = ["clock_fixture", "ivr_app_fixture", "twilio_fixture", "world_fixture"]
DAY = work_date_of(MORNING, JST)


def _claims(send: Callable[[list[tuple[int, date]]], None]) -> Deferred[tuple[int, date]]:
    """A `Deferred` as the web app's reconcile requests have it."""
    return Deferred(send, name="reconcile-claims", delay=lambda: defaults.CLAIM_BATCH_S)


def eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def job_waits(redis: Redis, site_id: int, day: date) -> bool:
    return bool(redis.exists(Job.key_for(reconcile_job_id(site_id, day))))


def test_a_burst_of_check_ins_asks_redis_once_and_only_after_the_commits(
    ivr_app: Flask,
    twilio: Twilio,
    world: World,
    db_session: Session,
    redis_conn: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(defaults, "CLAIM_BATCH_S", 60.0)  # nothing goes until it is sent here
    sent = claims_sent(monkeypatch)
    phones = [f"+8190222{i:05d}" for i in range(12)]
    for i, phone in enumerate(phones):
        create_worker(db_session, f"作業員 {i}", world.sub.id, phones=[phone])
    db_session.commit()
    for phone in phones:
        answer = twilio.call(phone, SITE_NUMBER).start()
        assert any("記録しました" in line for line in said(answer)), said(answer)
    assert sent == [] and not job_waits(redis_conn, world.site.id, DAY)
    flush_deferred()
    assert sent == [f"genba:coalesce:{world.site.id}:{DAY.isoformat()}"]
    assert job_waits(redis_conn, world.site.id, DAY)


def test_the_thread_sends_the_request_a_moment_after_the_commit(
    twilio: Twilio, world: World, redis_conn: Redis
) -> None:
    twilio.call("+819022299999", SITE_NUMBER).start()  # an unknown caller: nothing to reconcile
    world_phone = world.tanaka.phones[0].e164
    twilio.call(world_phone, SITE_NUMBER).start()
    assert eventually(lambda: job_waits(redis_conn, world.site.id, DAY))


def test_a_thread_that_ended_idle_is_started_again(
    redis_conn: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deferred_module, "_IDLE_S", 0.05)
    monkeypatch.setattr(defaults, "CLAIM_BATCH_S", 0.01)
    sent: list[list[tuple[int, date]]] = []
    claims = _claims(sent.append)
    claims.add([(7, DAY), (7, DAY), (8, DAY)])
    assert eventually(lambda: sent == [[(7, DAY), (8, DAY)]])
    time.sleep(0.3)  # idle: the thread ends
    claims.add([(9, DAY)])
    assert eventually(lambda: sent[-1:] == [[(9, DAY)]])


def test_a_forked_child_sends_its_own_requests_not_its_parents() -> None:
    sent: list[list[tuple[int, date]]] = []
    claims = _claims(sent.append)
    claims.add([(7, DAY)])  # held by the parent (its thread waits CLAIM_BATCH_S)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's report goes through the pipe
        try:
            claims.flush()
            claims.add([(8, DAY)])
            claims.flush()
            os.write(write, repr(sent).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as report:
        assert report.read() == repr([[(8, DAY)]])
    claims.flush()
    assert sent == [[(7, DAY)]]


def test_a_process_that_exits_sends_what_it_holds(redis_conn: Redis) -> None:
    """Committed and gone at once, well inside `CLAIM_BATCH_S`: `atexit` sends it."""
    program = textwrap.dedent(f"""
        from datetime import date
        from redis import Redis
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker
        from jobs import defaults
        from jobs.queue import install_dispatch, make_queue
        from workers_db.changes import mark_reconcile

        defaults.CLAIM_BATCH_S = 60.0
        factory = sessionmaker(bind=create_engine("sqlite://"))
        install_dispatch(factory, lambda: make_queue(Redis.from_url({TEST_REDIS_URL!r})),
                         deferred=True)
        with factory() as session:
            mark_reconcile(session, 7, date.fromisoformat({DAY.isoformat()!r}))
            session.commit()
    """)
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
    assert job_waits(redis_conn, 7, DAY)
