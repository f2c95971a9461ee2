"""`genba-call worker` processes for real (subprocesses on Redis and PostgreSQL):

- `kill -9` of the worker leaves none of its children running: RQ's scheduler, the work horse
  of a running job, the cron process and multiprocessing's resource tracker die with it;
- of two workers started at once only one runs the cron schedule (it holds the cron lock in
  Redis); when it is killed with -9, the other takes the schedule over once the lock expires.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import psutil
import pytest
from redis import Redis
from rq.cron import CronScheduler

from jobs.cron_lock import CRON_LOCK_KEY
from jobs.queue import make_queue
from workers_db.settings import Settings

from .test_reconcile_rq import worker_env

pytestmark = pytest.mark.slow
PATIENCE_S = 90.0  # generous: the machine may be busy; nothing here asserts on time


def _wait_for(what: str, check: Callable[[], object]) -> object:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def start_worker(settings: Settings) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from voice_app.cli import main; main()", "worker"],
            env=worker_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:  # whatever a failed test left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _holder(redis_conn: Redis) -> str | None:
    value = redis_conn.get(CRON_LOCK_KEY)
    return value.decode() if value else None


def test_kill_9_of_the_worker_leaves_no_child_running(
    start_worker: Callable[[], subprocess.Popen[bytes]], redis_conn: Redis
) -> None:
    proc = start_worker()
    worker = psutil.Process(proc.pid)
    make_queue(redis_conn).enqueue("time.sleep", 120)  # a job: the worker forks a horse
    _wait_for("the cron schedule", lambda: CronScheduler.all(redis_conn))

    def family() -> list[psutil.Process]:
        children = worker.children(recursive=True)
        # RQ's scheduler, the work horse, the cron process, the resource tracker
        return children if len(children) >= 4 else []

    children = _wait_for("the worker's children", family)
    assert isinstance(children, list)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _wait_for("every child to die", lambda: not any(_alive(c) for c in children))


def test_only_one_cron_of_two_workers_and_the_other_takes_over_after_kill_9(
    start_worker: Callable[[], subprocess.Popen[bytes]], redis_conn: Redis
) -> None:
    first, second = start_worker(), start_worker()
    holder = _wait_for("a cron lock holder", lambda: _holder(redis_conn))
    assert isinstance(holder, str)
    by_pid = {first.pid: first, second.pid: second}
    leader_pid = int(holder.rsplit(":", 1)[1])
    assert leader_pid in by_pid
    # Both cron processes are up (each worker has one), yet one schedule runs.
    for proc in by_pid.values():
        _wait_for(
            "the cron process",
            lambda proc=proc: any(
                "multiprocessing" in " ".join(c.cmdline())
                for c in psutil.Process(proc.pid).children()
                if _alive(c)
            ),
        )
    time.sleep(1.0)  # let a standby that wrongly started register itself
    assert len(CronScheduler.all(redis_conn)) == 1

    by_pid[leader_pid].send_signal(signal.SIGKILL)
    by_pid[leader_pid].wait(timeout=30)
    (other_pid,) = set(by_pid) - {leader_pid}
    _wait_for(
        "the other worker to take the cron lock",
        lambda: (_holder(redis_conn) or "").endswith(f":{other_pid}"),
    )
    assert _alive(psutil.Process(other_pid))
