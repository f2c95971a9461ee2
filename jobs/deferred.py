"""Work a web process hands to a thread of its own, to be sent a moment later in one batch
(`Deferred`): its commits' reconcile requests (`jobs.queue`) and its calls' counts for the
rate limit (`voice_app.ratelimit`).

A round trip to Redis made while a webhook waits is dear on a busy server: the thread blocks,
the GIL and the core go to another thread or process, and it comes back to cold caches.
Measured under gunicorn (bench/ivr_bench.py), one such round trip cost the zero-key check-in
far more than its own few dozen microseconds in a single-threaded process.  A thread that
sends what many requests held, together, pays that once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item", bound=tuple[Any, ...])


class Deferred(Generic[Item]):
    """Items held by the process and sent by a thread of their own, each once, `delay()`
    seconds after the first one added since the last send (`send` gets them sorted).

    What it costs: an item is sent up to `delay()` later, and a process killed in between
    (SIGKILL, a machine lost) loses what it holds; each user says what that means for it.  A
    process that exits as usual sends what it holds first (`atexit`).  A forked child starts
    empty, without the thread, which starts on the first item and ends after `_IDLE_S`
    without one."""

    def __init__(
        self, send: Callable[[list[Item]], None], *, name: str, delay: Callable[[], float]
    ) -> None:
        self._send = send
        self.name = name
        self._delay = delay
        self._reset()
        _ALL_DEFERRED.add(self)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._wake = threading.Event()
        self._pending: set[Item] = set()
        self._sender: threading.Thread | None = None

    def add(self, items: Iterable[Item]) -> None:
        with self._lock:
            self._pending.update(items)
            self._wake.set()
            if self._sender is None:
                self._sender = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._sender.start()

    def flush(self) -> None:
        """Send what is held now, and return once every item held when it was called has
        been sent (also those the thread had taken: at exit; a test that looks at Redis)."""
        with self._sending:
            with self._lock:
                items, self._pending = self._pending, set()
            if items:
                self._send(sorted(items))

    def _run(self) -> None:
        while True:
            if not self._wake.wait(_IDLE_S):
                with self._lock:
                    if not self._wake.is_set():
                        self._sender = None
                        return
                continue
            time.sleep(self._delay())
            self._wake.clear()  # before the items are taken: one added later wakes the next turn
            try:
                self.flush()
            except Exception:  # the thread outlives any one failure
                log.exception("%s: what was held is lost", self.name)


_IDLE_S = 10.0
_ALL_DEFERRED: weakref.WeakSet[Deferred[Any]] = weakref.WeakSet()


def flush_deferred() -> None:
    """`Deferred.flush` of every one in the process."""
    for deferred in list(_ALL_DEFERRED):
        deferred.flush()


def _reset_all_deferred() -> None:
    for deferred in list(_ALL_DEFERRED):
        deferred._reset()


atexit.register(flush_deferred)
os.register_at_fork(after_in_child=_reset_all_deferred)
