"""Children that die with their parent: `kill -9` of `genba-call worker` leaves nothing behind.

A SIGKILLed process cannot clean up, so each child asks the kernel for a signal of its own
when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`, through ctypes): RQ's work horses and
its scheduler (forked: an at-fork hook), and the cron process (spawned: it asks at start).
multiprocessing's resource tracker needs nothing: it exits when the last process holding its
pipe is gone.  Elsewhere than Linux this is a no-op.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_forking_pid: list[int] = []


def die_with_parent(parent_pid: int) -> None:
    """Be SIGKILLed when `parent_pid` (this process's parent) dies; exit now if it already
    has (it may die between the fork and this call, and nobody would signal us then)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
        return
    if os.getppid() != parent_pid:
        os._exit(1)


def _remember_forking_pid() -> None:
    _forking_pid[:] = [os.getpid()]


def _child_dies_with_forker() -> None:
    if _forking_pid:
        die_with_parent(_forking_pid[0])


def forked_children_die_with_their_parent() -> None:
    """From now on, every child forked by this process (or by its children) dies with the
    process that forked it."""
    os.register_at_fork(before=_remember_forking_pid, after_in_child=_child_dies_with_forker)
