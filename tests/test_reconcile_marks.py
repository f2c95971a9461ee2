"""Reconcile requests follow writes: a write path that never heard of reconciliation gets its
job after commit, and a rolled-back transaction sends nothing (workers_db.changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from jobs.queue import Coverage, install_dispatch, make_queue, reconcile_job_id
from workers_db.changes import mark_reconcile
from workers_db.models import Event, Site, Worker

from .helpers import claims_sent, make_company, make_site, make_worker

DAY = date(2025, 4, 1)


@pytest.fixture
def coverage() -> Coverage:
    return Coverage()


@pytest.fixture
def dispatching(
    session_factory: sessionmaker[Session], redis_conn: Redis, coverage: Coverage
) -> sessionmaker[Session]:
    install_dispatch(session_factory, lambda: make_queue(redis_conn), coverage)
    return session_factory


def lose_the_jobs(redis_conn: Redis, coverage: Coverage) -> None:
    """An empty Redis, and a process that knows it: it no longer counts on a waiting job."""
    redis_conn.flushdb()
    coverage.clear()


@pytest.fixture
def place(db_session: Session) -> tuple[Site, Worker]:
    company = make_company(db_session, "標識建設")
    site = make_site(db_session, company, code="4321")
    worker = make_worker(db_session, company, name="佐藤 次郎")
    db_session.commit()
    return site, worker


def an_event(site: Site, worker: Worker | None, name: str, day: date = DAY) -> Event:
    moment = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
    return Event(
        external_id=f"test:{name}",
        source="manual",
        site_id=site.id,
        worker_id=worker.id if worker else None,
        occurred_at=moment,
        work_date=day,
    )


def queued(redis_conn: Redis, site_id: int, day: date) -> bool:
    return bool(redis_conn.exists(Job.key_for(reconcile_job_id(site_id, day))))


def test_an_event_added_through_the_session_is_reconciled_after_commit(
    dispatching: sessionmaker[Session], place: tuple[Site, Worker], redis_conn: Redis
) -> None:
    site, worker = place
    with dispatching() as session:
        session.add(an_event(site, worker, "plain"))
        session.flush()
        assert not queued(redis_conn, site.id, DAY)  # never before the commit
        session.commit()
    job = Job.fetch(
        reconcile_job_id(site.id, DAY), connection=redis_conn, serializer=JSONSerializer
    )
    assert job.args == [site.id, DAY.isoformat(), DAY.isoformat()]


def test_a_rollback_sends_nothing(
    dispatching: sessionmaker[Session], place: tuple[Site, Worker], redis_conn: Redis
) -> None:
    site, worker = place
    with dispatching() as session:
        session.add(an_event(site, worker, "rolled-back"))
        session.flush()
        session.rollback()
        session.commit()  # an empty transaction afterwards sends nothing either
    assert not queued(redis_conn, site.id, DAY)


def test_an_event_of_nobody_is_not_reconciled(
    dispatching: sessionmaker[Session], place: tuple[Site, Worker], redis_conn: Redis
) -> None:
    site, _ = place
    with dispatching() as session:
        session.add(an_event(site, None, "anonymous"))
        session.commit()
    assert not queued(redis_conn, site.id, DAY)


def test_a_changed_event_reconciles_the_day_it_left_and_the_day_it_moved_to(
    dispatching: sessionmaker[Session],
    place: tuple[Site, Worker],
    redis_conn: Redis,
    coverage: Coverage,
) -> None:
    site, worker = place
    later = date(2025, 4, 3)
    with dispatching() as session:
        row = an_event(site, worker, "moved")
        session.add(row)
        session.commit()
        lose_the_jobs(redis_conn, coverage)
        row.work_date = later
        session.commit()
        assert queued(redis_conn, site.id, DAY) and queued(redis_conn, site.id, later)
        lose_the_jobs(redis_conn, coverage)
        row.approved_at = datetime.now(UTC)  # an approval changes the day as well
        session.commit()
        assert queued(redis_conn, site.id, later)


def test_a_set_based_write_marks_its_days_explicitly(
    dispatching: sessionmaker[Session], place: tuple[Site, Worker], redis_conn: Redis
) -> None:
    site, worker = place
    with dispatching() as session:
        session.add(an_event(site, None, "unknown"))
        session.commit()
        session.execute(
            update(Event).where(Event.external_id == "test:unknown").values(worker_id=worker.id)
        )
        session.commit()
        assert not queued(redis_conn, site.id, DAY)  # a Core UPDATE is not seen by the flush
        mark_reconcile(session, site.id, DAY)
        session.commit()
        assert queued(redis_conn, site.id, DAY)
        assert session.scalar(select(Event.worker_id).where(Event.external_id == "test:unknown"))


def test_commits_while_the_job_waits_make_no_round_trip(
    dispatching: sessionmaker[Session],
    place: tuple[Site, Worker],
    redis_conn: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first commit schedules the job; the next ones, for the same site and day while
    that job is waiting, need nothing from Redis; another day still asks."""
    site, worker = place
    claims = claims_sent(monkeypatch)
    with dispatching() as session:
        for n in range(5):
            session.add(an_event(site, worker, f"burst-{n}"))
            session.commit()
        assert len(claims) == 1
        session.add(an_event(site, worker, "next day", date(2025, 4, 2)))
        session.commit()
        assert len(claims) == 2
    assert queued(redis_conn, site.id, DAY) and queued(redis_conn, site.id, date(2025, 4, 2))
