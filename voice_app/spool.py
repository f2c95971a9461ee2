"""The durable local spool: webhooks the database could not take, kept until it can.

One JSON file per (CallSid, step) in `$GENBA_INSTANCE/spool`, written to a temporary file,
fsync'd, hard-linked into place (a second delivery of the same step finds it there) and the
folder fsync'd: once `put` returns, the call survives a crash of the process or the machine.

`replay` hands each file to a handler under an exclusive `flock`, and deletes it (fsync'd
again) only after the handler returned, i.e. after the database committed.  Two replayers
never handle one file at the same time; a replay interrupted between commit and delete
replays again, which the database's keys (call_steps, events.external_id) turn into nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


_SETTLED_NS = 1_000_000_000


class RetryLater(Exception):
    """Raised by a replay handler when the database is still unavailable: stop for now."""


@dataclass
class ReplayReport:
    replayed: int = 0
    busy: int = 0  # held by another replayer
    quarantined: list[str] = field(default_factory=list)
    waiting: bool = False  # stopped because the database is still unavailable

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "busy": self.busy,
            "quarantined": self.quarantined,
            "waiting": self.waiting,
        }


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.failed = path / "failed"
        self._empty_since: int | None = None  # the folder's mtime when last read empty

    @staticmethod
    def key(call_sid: str, step: int) -> str:
        return hashlib.sha256(f"{call_sid}:{step}".encode()).hexdigest()[:40]

    def put(self, key: str, entry: dict[str, Any]) -> bool:
        """Store durably; False when this key is already spooled (a retried delivery)."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.path / f"{key}.json"
        if final.exists():
            return False
        temporary = self.path / f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        data = json.dumps(entry, ensure_ascii=False).encode()
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, final)
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        _fsync_dir(self.path)
        return True

    def has_pending(self) -> bool:
        """Whether the spool holds an entry; asked after every answered webhook.  The folder
        is read again only when its modification time changed since it was last read empty
        (an entry added or removed changes it): one `stat`, not a listing, per webhook.  The
        time of an empty read is remembered only when it is a second old or more, so that an
        entry written in the same tick of the file system's clock is not missed.  A missing
        folder is made, empty: a `stat` that fails costs more than one that succeeds."""
        try:
            modified = os.stat(self.path).st_mtime_ns
            if modified == self._empty_since:
                return False
            with os.scandir(self.path) as entries:
                found = any(e.name.endswith(".json") for e in entries)
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            return False
        settled = time.time_ns() - modified >= _SETTLED_NS
        self._empty_since = modified if not found and settled else None
        return found

    def pending(self) -> list[Path]:
        if not self.path.is_dir():
            return []
        files = []
        for path in self.path.glob("*.json"):
            try:
                files.append((path.stat().st_mtime_ns, path))
            except FileNotFoundError:
                continue
        return [path for _, path in sorted(files)]

    def replay(self, handle: Callable[[dict[str, Any]], None]) -> ReplayReport:
        """Hand every spooled entry to `handle`, oldest first, each exactly once."""
        report = ReplayReport()
        for path in self.pending():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # another replayer finished it
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    report.busy += 1
                    continue
                if not _same_file(fd, path):  # handled and deleted while we waited
                    continue
                with os.fdopen(os.dup(fd), "rb") as handle_file:
                    raw = handle_file.read()
                try:
                    handle(json.loads(raw))
                except RetryLater:
                    report.waiting = True
                    break
                except Exception:
                    log.exception("spooled call %s could not be replayed; quarantined", path.name)
                    self._quarantine(path)
                    report.quarantined.append(path.name)
                    continue
                os.unlink(path)
                _fsync_dir(self.path)
                report.replayed += 1
            finally:
                os.close(fd)
        return report

    def _quarantine(self, path: Path) -> None:
        """Kept for a person to look at (and move back), out of the way of later replays."""
        self.failed.mkdir(mode=0o700, exist_ok=True)
        os.replace(path, self.failed / path.name)
        _fsync_dir(self.path)
        _fsync_dir(self.failed)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
