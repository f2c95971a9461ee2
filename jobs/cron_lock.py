"""One cron scheduler across all workers: a Redis lock with an expiry, renewed while alive.

Every `genba-call worker` starts a cron process, but only the one holding `CRON_LOCK_KEY`
schedules; the others wait and try again every `CRON_LOCK_RENEW_S`.  The holder renews the
lock before each round of the schedule; a holder that dies (even by `kill -9`) stops renewing,
and another worker takes over within `CRON_LOCK_TTL_S` + `CRON_LOCK_RENEW_S`.  The lock's value
names the holder (`host:worker-pid`), for whoever looks into Redis.
"""

from __future__ import annotations

import contextlib
import socket

from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock
from rq.exceptions import StopRequested

from jobs import defaults

CRON_LOCK_KEY = "genba:cron:leader"


class LostLeadership(StopRequested):
    """Another worker holds the cron lock now (this one could not renew it in time)."""


class CronLeadership:
    """The cron lock as one worker holds (or waits for) it."""

    def __init__(self, connection: Redis, worker_pid: int) -> None:
        self.holder = f"{socket.gethostname()}:{worker_pid}"
        self._lock = Lock(
            connection, CRON_LOCK_KEY, timeout=defaults.CRON_LOCK_TTL_S, thread_local=False
        )
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if it is free (or renew it if it is still ours)."""
        if self.held:
            try:
                self.renew()
                return True
            except LostLeadership:
                pass
        self.held = bool(self._lock.acquire(blocking=False, token=self.holder))
        return self.held

    def renew(self) -> None:
        """Push the expiry back by a full TTL; `LostLeadership` if the lock is not ours."""
        try:
            self._lock.reacquire()
        except LockError as exc:
            self.held = False
            raise LostLeadership(str(exc)) from exc

    def release(self) -> None:
        if self.held:
            self.held = False
            # expired or taken over meanwhile: nothing of ours to release
            with contextlib.suppress(LockError):
                self._lock.release()
