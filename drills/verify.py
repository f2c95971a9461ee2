"""What a drill checks afterwards, in the database itself: every call's event exactly once,
the spool empty, the job queue drained, and one work record per worker-day."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import Engine, text

from jobs.defaults import QUEUE_NAME

_PENDING = {b"queued", b"scheduled", b"started", b"deferred"}


@dataclass(frozen=True)
class Ledger:
    expected: int  # workers who should have exactly one event
    present: int  # of those, with at least one
    lost: int
    duplicated: int  # events beyond the first, per worker and day
    stray: int  # events of workers who did not call

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def ledger(engine: Engine, worker_ids: Iterable[int], source: str) -> Ledger:
    expected = set(worker_ids)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT worker_id, work_date, count(*) FROM events "
                "WHERE source = :source AND worker_id IS NOT NULL GROUP BY worker_id, work_date"
            ),
            {"source": source},
        ).all()
    seen = {worker for worker, _day, _n in rows}
    return Ledger(
        expected=len(expected),
        present=len(expected & seen),
        lost=len(expected - seen),
        duplicated=sum(n - 1 for _w, _d, n in rows),
        stray=len(seen - expected),
    )


def spooled(spool: Path) -> int:
    return len(list(spool.glob("*.json"))) if spool.is_dir() else 0


def wait_spool_empty(spool: Path, timeout_s: float, nudge: object = None) -> int:
    """Seconds waited until the spool is empty (the replay runs after good webhooks and in an
    RQ job); raises if it is not empty in time.  `nudge()` may place a call to trigger it."""
    started = time.monotonic()
    while spooled(spool):
        if time.monotonic() - started > timeout_s:
            raise RuntimeError(f"{spooled(spool)} webhooks still spooled after {timeout_s} s")
        if callable(nudge):
            nudge()
        time.sleep(1)
    return round(time.monotonic() - started)


def pending_jobs(redis: Redis) -> list[str]:
    """Jobs whose own hash says they are still to run (whatever the registries say)."""
    found = []
    for key in redis.scan_iter("rq:job:*"):
        if redis.type(key) == b"hash" and redis.hget(key, "status") in _PENDING:
            found.append(key.decode().removeprefix("rq:job:"))
    return found


def queue_idle(redis: Redis) -> bool:
    queue = Queue(QUEUE_NAME, connection=redis)
    return (
        queue.count == 0
        and ScheduledJobRegistry(queue=queue).count == 0
        and StartedJobRegistry(queue=queue).count == 0
        and not pending_jobs(redis)
    )


def _idle_twice(redis: Redis) -> bool:
    """Idle now and a second later (a job between the scheduler and a worker is in no
    registry for a moment)."""
    if not queue_idle(redis):
        return False
    time.sleep(1.0)
    return queue_idle(redis)


def wait_queue_idle(redis: Redis, timeout_s: float) -> float:
    started = time.monotonic()
    while not _idle_twice(redis):
        if time.monotonic() - started > timeout_s:
            raise RuntimeError(
                f"the RQ queue did not drain in time; still to run: {pending_jobs(redis)[:5]}"
            )
        time.sleep(0.5)
    return time.monotonic() - started


def failed_jobs(redis: Redis) -> int:
    return FailedJobRegistry(queue=Queue(QUEUE_NAME, connection=redis)).count


def work_records(engine: Engine) -> list[tuple[object, ...]]:
    """The derived records, comparable between two runs (ids and timestamps of the run left
    out)."""
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT worker_id, site_id, work_date, first_in, last_out, sources, "
                    "countable, event_count FROM work_records "
                    "ORDER BY worker_id, site_id, work_date"
                )
            )
        ]


def worker_days(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT DISTINCT worker_id, site_id, work_date "
                    "FROM events WHERE worker_id IS NOT NULL) d"
                )
            ).scalar_one()
        )


def exceptions_of(engine: Engine, kind: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM exceptions WHERE kind = :k"), {"k": kind}
            ).scalar_one()
        )


def follow_up_calls(engine: Engine) -> set[str]:
    """Call SIDs of the `spool_replayed` exceptions (spooled calls that could not be
    completed without the caller: the office follows them up)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT detail FROM exceptions WHERE kind = 'spool_replayed'")
        ).scalars()
        return {str(detail.get("call_sid")) for detail in rows}


def unreconciled(engine: Engine, limit: int = 5) -> list[str]:
    """Worker-days with events but no work record (what a lost job leaves behind)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.worker_id, e.site_id, e.work_date, e.source, "
                "to_char(e.received_at, 'HH24:MI:SS.MS') FROM events e "
                "LEFT JOIN work_records r ON r.worker_id = e.worker_id AND r.site_id = e.site_id "
                "AND r.work_date = e.work_date WHERE e.worker_id IS NOT NULL AND r.id IS NULL "
                "ORDER BY 1 LIMIT :limit"
            ),
            {"limit": limit},
        )
        return [f"worker {w} site {s} {d} ({src} received {at})" for w, s, d, src, at in rows]
