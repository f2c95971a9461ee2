"""The request's session (voice_app.extensions): a thread's next request reuses the session
its last one closed, and starts as a new one would: nothing of what the last request left
uncommitted (its reconcile marks above all) reaches the next one's commit."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from redis import Redis
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from jobs.deferred import flush_deferred
from jobs.queue import reconcile_job_id
from voice_app.extensions import db
from workers_db.changes import mark_reconcile
from workers_db.models import Site

from .helpers import make_company, make_site

DAY = date(2025, 4, 1)


@pytest.fixture
def site(db_session: Session) -> Site:
    found = make_site(db_session, make_company(db_session, "標識建設"), code="4321")
    db_session.commit()
    return found


def queued(redis_conn: Redis, site_id: int) -> bool:
    return bool(redis_conn.exists(Job.key_for(reconcile_job_id(site_id, DAY))))


def test_the_next_request_reuses_the_session_without_the_uncommitted_marks(
    app: Flask, site: Site, redis_conn: Redis
) -> None:
    with app.test_request_context():
        first = db()
        first.execute(select(Site.id))
        mark_reconcile(first, site.id, DAY)  # a write marked its day, then the request failed
    with app.test_request_context():
        assert db() is first
        db().execute(select(Site.id))
        db().commit()
    flush_deferred()
    assert not queued(redis_conn, site.id)
    with app.test_request_context():  # and a committed mark still goes
        mark_reconcile(db(), site.id, DAY)
        db().commit()
    flush_deferred()
    assert queued(redis_conn, site.id)


def test_an_app_context_inside_a_request_on_the_thread_gets_its_own_session(
    app: Flask, site: Site
) -> None:
    with app.test_request_context():
        outer = db()
        row = outer.get(Site, site.id)
        with app.app_context():
            assert db() is not outer
        assert row in outer  # the inner request's teardown did not close the outer session


def test_a_session_whose_rollback_failed_is_not_reused(app: Flask, site: Site) -> None:
    with app.test_request_context():
        broken = db()
        broken.execute(select(Site.id))

        def gone() -> None:
            raise OperationalError("ROLLBACK", None, Exception("server closed the connection"))

        broken.rollback = gone  # type: ignore[method-assign]
    with app.test_request_context():
        assert db() is not broken
