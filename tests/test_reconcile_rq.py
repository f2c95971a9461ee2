"""RQ for real: `genba-call worker --burst` in a subprocess (it forks a work horse per job)
against Redis and PostgreSQL with real commits.

- The nightly cron job (enqueued by the project's cron scheduler, JSON-serialized) rebuilds
  every deleted work record identically.
- A worker SIGKILLed in the middle of a reconciliation leaves nothing half-written; RQ
  retries the job (RQ's abandoned-job handling when the whole worker died, the worker's own
  handling when only the work horse died) and the result is identical.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session, sessionmaker

from jobs import defaults
from jobs.cron import build_cron
from jobs.queue import make_queue
from jobs.reconcile import affected_dates, enqueue_reconcile_range, reconcile_range
from tests import reference_domain as ref
from tests.reconcile_support import (
    RULES,
    TOKYO,
    EventSpec,
    add_events,
    db_records,
    load,
    local,
    ref_records,
    seeded_month,
)
from workers_db.models import WorkException, WorkRecord
from workers_db.settings import Settings

pytestmark = pytest.mark.slow
WINDOW = 600


def worker_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url or "",
        GENBA_INSTANCE=str(settings.instance_path),
        GENBA_SECRET_KEY="test-secret-key",
        GENBA_REPEAT_WINDOW_S=str(WINDOW),
    )
    return env


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """`genba-call worker --burst`: worker + scheduler, forks a horse per job."""
    return subprocess.Popen(
        [sys.executable, "-c", "from voice_app.cli import main; main()", "worker", "--burst"],
        env=worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[bytes]) -> str:
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()
    return out.decode()


@pytest.fixture
def db(committed_db: Engine) -> Iterator[Session]:
    session = sessionmaker(committed_db, expire_on_commit=False)()
    yield session
    session.close()


def test_nightly_cron_job_rebuilds_deleted_records_identically(
    db: Session, committed_db: Engine, settings: Settings, redis_conn: Redis
) -> None:
    today = datetime.now(TOKYO).date()
    loaded = load(db, seeded_month(7, today - timedelta(days=20), 21, sites=2, workers=12))
    db.commit()
    first, last = affected_dates(today - timedelta(days=defaults.NIGHTLY_REBUILD_DAYS), today)
    reconcile_range(sessionmaker(committed_db), None, first, last, rules=RULES)
    before = db_records(db)
    records, _ = ref.reconcile(loaded.events, RULES)
    assert before == ref_records(records, loaded.workers)
    assert len(before) > 100

    db.execute(delete(WorkRecord))
    db.commit()
    assert db_records(db) == {}

    cron = {j.name: j for j in build_cron(redis_conn).get_jobs()}
    job = cron["nightly_rebuild"].enqueue(redis_conn)
    stats_job = cron["monthly_statistics"].enqueue(redis_conn)
    raw = redis_conn.hget(f"rq:job:{job.id}", "data")
    assert raw is not None
    # RQ zlib-compresses the serialized call: JSON inside, not pickle.
    assert json.loads(zlib.decompress(raw))[0] == "jobs.nightly.nightly_rebuild"
    finish(start_worker(settings))

    job = Job.fetch(job.id, connection=redis_conn, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value()["records_written"] == len(before)  # type: ignore[index]
    assert db_records(db) == before

    # The month's statistics ran after the rebuild: one follow-up report per member company.
    stats_job = Job.fetch(stats_job.id, connection=redis_conn, serializer=JSONSerializer)
    assert stats_job.get_status() == JobStatus.FINISHED
    (report,) = stats_job.return_value()["reports"]  # type: ignore[index]
    assert report["company_id"] == loaded.prime_id
    assert Path(report["html"]).parent == settings.instance_path / "reports" / (
        (today - timedelta(days=1)).strftime("%Y-%m")
    )
    assert Path(report["csv"]).read_bytes().startswith(b"\xef\xbb\xbf")


def _sleeping_backend(engine: Engine, timeout_s: float = 60) -> int:
    """The PostgreSQL backend of a job holding its transaction open (pg_sleep)."""
    deadline = time.monotonic() + timeout_s
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            pid = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state = 'active' AND query LIKE 'SELECT pg_sleep%'"
                )
            ).scalar()
            if pid is not None:
                return int(pid)
            conn.rollback()
            time.sleep(0.05)
    raise AssertionError("the job never reached its hold")


def _gone(engine: Engine, pid: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            if not conn.execute(
                text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
            ).first():
                return
            conn.rollback()
            time.sleep(0.1)
    raise AssertionError("the killed worker's transaction is still open")


@pytest.mark.parametrize("victim", ["whole_worker", "work_horse"])
def test_sigkill_mid_job_leaves_nothing_half_written_and_the_retry_completes(
    db: Session, committed_db: Engine, settings: Settings, redis_conn: Redis, victim: str
) -> None:
    day = date(2025, 6, 4)
    loaded = load(db, seeded_month(11, day - timedelta(days=3), 4, sites=1, workers=10))
    db.commit()
    site, w0 = loaded.site_ids[0], loaded.worker_ids[0]
    factory = sessionmaker(committed_db)
    reconcile_range(factory, [site], day - timedelta(days=5), day, rules=RULES)
    # New events (everyone touches out at 19:00) and stale records: the job has inserts,
    # updates and deletes to do; the record outside its dates stays.
    touches = [EventSpec(w, 0, "nfc", local(day, 19)) for w in range(10)]
    loaded.events += add_events(db, loaded, touches)
    for stale_day in (day + timedelta(days=1), day - timedelta(days=9)):
        db.add(
            WorkRecord(
                worker_id=w0,
                site_id=site,
                work_date=stale_day,
                sources="phone",
                countable=True,
                event_count=1,
            )
        )
    db.commit()
    before = db_records(db)
    exceptions_before = db.query(WorkException).count()

    queue = make_queue(redis_conn)
    job = enqueue_reconcile_range(queue, [site], day, day, hold_s=60)
    proc = start_worker(settings)
    backend = _sleeping_backend(committed_db)
    assert db_records(db) == before  # the writes are not visible before the commit

    worker = psutil.Process(proc.pid)
    horses = worker.children(recursive=True)
    assert horses, "the worker forks a work horse per job"
    for p in ([] if victim == "work_horse" else [worker]) + horses:
        p.send_signal(signal.SIGKILL)
    if victim == "work_horse":
        finish(proc)  # the worker sees its horse die, fails the job and schedules the retry
    else:
        proc.wait(timeout=30)
    _gone(committed_db, backend)
    assert db_records(db) == before  # nothing half-written
    assert db.query(WorkException).count() == exceptions_before

    job = Job.fetch(job.id, connection=redis_conn, serializer=JSONSerializer)
    if victim == "whole_worker":
        assert job.get_status() == JobStatus.STARTED  # nobody is left to say otherwise
        # RQ's abandoned-job handling, as the next worker's maintenance runs it once the dead
        # worker's heartbeat has expired (here: told that time has come).
        queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
    job = Job.fetch(job.id, connection=redis_conn, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == defaults.RETRY_MAX - 1
    queue.scheduled_job_registry.schedule(job, datetime.now(UTC))  # its backoff has passed
    finish(start_worker(settings))

    job = Job.fetch(job.id, connection=redis_conn, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.FINISHED
    after = db_records(db)
    assert after != before
    records, _ = ref.reconcile(loaded.events, RULES)
    lo, hi = affected_dates(day, day)
    expected = {k: v for k, v in ref_records(records, loaded.workers).items() if lo <= k[2] <= hi}
    assert {k: v for k, v in after.items() if lo <= k[2] <= hi} == expected
    assert (w0, site, day + timedelta(days=1)) not in after
    assert (w0, site, day - timedelta(days=9)) in after
    # Once more by hand: nothing left to change.
    (again,) = reconcile_range(factory, [site], lo, hi, rules=RULES)
    assert (again.records_written, again.records_deleted) == (0, 0)


def test_worker_cli_runs_cron_scheduler(
    settings: Settings, redis_conn: Redis, tmp_path: Path
) -> None:
    """Without --burst the worker starts RQ's cron scheduler in a process of its own."""
    from rq.cron import CronScheduler

    proc = subprocess.Popen(
        [sys.executable, "-c", "from voice_app.cli import main; main()", "worker"],
        env=worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        schedulers: list[CronScheduler] = []
        while time.monotonic() < deadline and not schedulers:
            schedulers = CronScheduler.all(redis_conn)
            time.sleep(0.2)
        assert schedulers, "no cron scheduler registered"
        names = {j.name for j in schedulers[0].get_jobs()}
        assert names == {"nightly_rebuild", "monthly_statistics"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)
