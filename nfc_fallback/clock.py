"""What the reader knows about time: the wall clock, a monotonic clock that survives clock
jumps, the kernel's boot id, and whether the wall clock is synchronized.

A Raspberry Pi has no real-time clock: it boots with the last saved time (or 1970) and
corrects it only once NTP answers.  So every touch carries, besides the wall time, the
boot id and CLOCK_BOOTTIME; touches of the same boot recorded before the clock was synced can
be corrected afterwards (`corrected_wall_ns`).

Whether the clock is synced is decided, in this order, by: an explicit override
(`--clock-synced yes|no`); the kernel's NTP state through `adjtimex(2)` (what systemd's
`timedatectl show -p NTPSynchronized` reports, without forking a process per touch);
`timedatectl` itself where adjtimex is unavailable; and finally a plausibility floor (a wall
clock earlier than `PLAUSIBLE_FLOOR` cannot be right).
"""

from __future__ import annotations

import ctypes
import functools
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
PLAUSIBLE_FLOOR = datetime(2025, 1, 1, tzinfo=UTC)
TIMEDATECTL_CACHE_S = 30.0
_TIME_ERROR = 5  # adjtimex return value: clock not synchronized
_STA_UNSYNC = 0x0040


def wall_ns() -> int:
    return time.time_ns()


def boottime_ns() -> int:
    """Monotonic time since boot, counting suspend (CLOCK_BOOTTIME where the OS has it)."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    if clock is not None:
        return time.clock_gettime_ns(clock)
    return time.monotonic_ns()


def read_boot_id(path: Path = BOOT_ID_PATH) -> str | None:
    """The kernel's random id of this boot; None where there is none (then no correction)."""
    try:
        value = path.read_text().strip()
    except OSError:
        return None
    return value or None


def corrected_wall_ns(touch_boottime_ns: int, now_wall_ns: int, now_boottime_ns: int) -> int:
    """The wall time of a touch of this boot, by the synced clock now and the elapsed
    monotonic time since the touch."""
    return now_wall_ns - (now_boottime_ns - touch_boottime_ns)


class _Timeval(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long))


class _Timex(ctypes.Structure):
    """`struct timex` of <sys/timex.h> (Linux, glibc)."""

    _fields_ = (
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", _Timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 11),
    )


@functools.cache
def _adjtimex() -> Any | None:
    """libc's adjtimex, looked up once in the C library the interpreter runs on
    (`ctypes.util.find_library` would run ldconfig in a subprocess, on every touch)."""
    try:
        return ctypes.CDLL(None, use_errno=True).adjtimex
    except (OSError, AttributeError):
        return None


def adjtimex_synced() -> bool | None:
    """The kernel's view (read-only call, modes = 0); None where adjtimex is unavailable."""
    adjtimex = _adjtimex()
    if adjtimex is None:
        return None
    timex = _Timex()
    state = adjtimex(ctypes.byref(timex))
    if state < 0:
        return None
    return state != _TIME_ERROR and not (timex.status & _STA_UNSYNC)


def timedatectl_synced() -> bool | None:
    """`timedatectl show -p NTPSynchronized --value`; None without systemd."""
    try:
        done = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip().lower()
    if done.returncode != 0 or value not in ("yes", "no"):
        return None
    return value == "yes"


@dataclass(frozen=True)
class ClockState:
    synced: bool
    source: str  # override, adjtimex, timedatectl, plausibility


class ClockProbe:
    """Answers "is the wall clock synchronized?" cheaply enough to ask on every touch."""

    def __init__(
        self,
        override: bool | None = None,
        adjtimex: Callable[[], bool | None] = adjtimex_synced,
        timedatectl: Callable[[], bool | None] = timedatectl_synced,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._override = override
        self._adjtimex = adjtimex
        self._timedatectl = timedatectl
        self._now = now
        self._cached: tuple[float, bool | None] | None = None

    def state(self) -> ClockState:
        if self._override is not None:
            return ClockState(self._override, "override")
        kernel = self._adjtimex()
        if kernel is not None:
            return ClockState(kernel, "adjtimex")
        systemd = self._timedatectl_cached()
        if systemd is not None:
            return ClockState(systemd, "timedatectl")
        return ClockState(self._now() >= PLAUSIBLE_FLOOR, "plausibility")

    def _timedatectl_cached(self) -> bool | None:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > TIMEDATECTL_CACHE_S:
            self._cached = (now, self._timedatectl())
        return self._cached[1]
