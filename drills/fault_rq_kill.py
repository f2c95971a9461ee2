"""Drill: an RQ work horse SIGKILLed in the middle of a job.  `python -m drills.fault_rq_kill`

During the rush a long reconciliation of every site is enqueued (`hold_s` keeps each site's
transaction open a moment, as the reconcile tests do) and its work horse is killed with
SIGKILL while some sites are done and others are not; the horses of a few ordinary reconcile
jobs are killed too.  RQ must retry each job and the results must be identical to a rebuild
from scratch: every work record is compared with the records the nightly rebuild writes after
all of them have been deleted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import text

from drills import rush, verify
from drills.stack import Stack, log
from jobs.defaults import RETRY_MAX
from jobs.queue import make_queue
from jobs.reconcile import enqueue_reconcile_range

HOLD_S = 0.5  # per site and chunk, first attempt only


def horses(parent: int) -> list[int]:
    """Work horses of an RQ worker: its children that lead a process group of their own."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        if int(fields[1]) == parent and int(fields[2]) == pid:
            found.append(pid)
    return found


def running(redis: Redis) -> dict[str, str]:
    """worker name → id of the job it is running (RQ writes both on the job's hash)."""
    found = {}
    for job_id in StartedJobRegistry(queue=make_queue(redis)).get_job_ids():
        status, worker = redis.hmget(f"rq:job:{job_id}", "status", "worker_name")
        if status == b"started" and isinstance(worker, bytes) and worker:
            found[worker.decode()] = job_id
    return found


def kill_horse_of(stack: Stack, redis: Redis, job_id: str | None, timeout_s: float) -> bool:
    """SIGKILL the horse running `job_id` (None: any job) once it has run a little."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = running(redis)
        for n in range(stack.options.rq_workers):
            current = jobs.get(f"drill-{n}")
            if current is None or (job_id is not None and current != job_id):
                continue
            for pid in horses(stack.rq_worker_pid(n)):
                time.sleep(2.0 if job_id else 0.05)  # let it commit part of its work
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                log(f"SIGKILL work horse {pid} of drill-{n} running {current}")
                return True
        time.sleep(0.02)
    return False


def kill_mid_job(ordinary_kills: int) -> rush.Fault:
    async def inject(stack: Stack, duration: float) -> dict[str, Any]:
        redis = Redis.from_url(stack.redis_url)
        await asyncio.sleep(duration / 3)
        today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
        job = enqueue_reconcile_range(make_queue(redis), None, today, today, hold_s=HOLD_S)
        log(f"enqueued {job.id}: every site, {HOLD_S} s held per site")
        big = await asyncio.to_thread(kill_horse_of, stack, redis, job.id, 60)
        small = 0
        for _ in range(ordinary_kills):
            small += await asyncio.to_thread(kill_horse_of, stack, redis, None, 10)
        return {
            "fault": "RQ work horses SIGKILLed mid-job",
            "big_job": job.id,
            "big_job_killed": big,
            "ordinary_jobs_killed": small,
        }

    return inject


def main() -> int:
    p = rush.parser(__doc__ or "", workers=1500, duration_s=60)
    p.add_argument("--kills", type=int, default=3, help="ordinary reconcile jobs to kill too")
    args = p.parse_args()
    opts = rush.options_from(args)
    figures: dict[str, Any] = {}

    def compare(stack: Stack) -> None:
        assert stack.engine is not None
        redis = Redis.from_url(stack.redis_url)
        job_id = str(figures.get("big_job") or "")
        if job_id:
            job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
            figures["big_job_status"] = job.get_status().value
            figures["big_job_attempts"] = 1 + RETRY_MAX - (job.retries_left or 0)
        after_jobs = verify.work_records(stack.engine)
        with stack.engine.begin() as conn:
            conn.execute(text("DELETE FROM work_records"))
        stack.run_python("from jobs.nightly import nightly_rebuild; nightly_rebuild(1)")
        rebuilt = verify.work_records(stack.engine)
        figures["records_after_retries"] = len(after_jobs)
        figures["records_differing_from_rebuild"] = len(set(after_jobs) ^ set(rebuilt))

    fault = kill_mid_job(args.kills)

    async def remember(stack: Stack, duration: float) -> dict[str, Any]:
        result = await fault(stack, duration)
        figures.update(result)
        return result

    return rush.run(
        "fault_rq_kill",
        opts,
        remember,
        rebuild=True,
        before_rebuild=compare,
        extra=figures,
        must=lambda f: (
            f.get("records_differing_from_rebuild") == 0
            and bool(f.get("big_job_killed"))
            and f.get("big_job_status") == "finished"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
