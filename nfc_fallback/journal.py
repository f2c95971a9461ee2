"""The reader's local journal: every touch, durably, until the server has acknowledged it.

SQLite in WAL mode with `synchronous=FULL`: a touch is one committed transaction (the WAL is
fsynced before `append` returns), and only then is it printed or sent.  A kill -9 or a power
cut at any moment leaves either the whole touch or nothing; the event id (a UUID made inside
that same transaction) is unique, so nothing is stored twice, and it is the server's
idempotency key, so a batch re-sent after a crash between the server's commit and our
`mark_acked` is counted there as duplicates, never as new touches.

Size: unacknowledged touches are never deleted (a touch is a worker's day).  Acknowledged ones
are pruned down to the newest `KEEP_ACKED` rows and to `KEEP_ACKED_DAYS` days.  A row takes
about 550 bytes with its indexes, so the file is bounded by ~5.5 MB of history plus 550 bytes
per unsent touch (docs/nfc.md has the arithmetic).
One agent per journal: an exclusive `flock` on `<journal>.lock` refuses a second one.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from nfc_fallback.clock import corrected_wall_ns
from nfc_fallback.touch import Touch

JOURNAL_FILE = "nfc-journal.sqlite3"
KEEP_ACKED = 10_000
KEEP_ACKED_DAYS = 30
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS touches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    technology TEXT NOT NULL,
    card_uid TEXT NOT NULL,
    wall_ns INTEGER NOT NULL,
    boottime_ns INTEGER NOT NULL,
    boot_id TEXT,
    clock_synced INTEGER NOT NULL,
    corrected_wall_ns INTEGER,
    acked_at_ns INTEGER,
    outcome TEXT,
    error TEXT,
    worker_name TEXT,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS touches_backlog ON touches (seq) WHERE acked_at_ns IS NULL;
CREATE INDEX IF NOT EXISTS touches_acked ON touches (acked_at_ns) WHERE acked_at_ns IS NOT NULL;
"""
# Columns added after the first release: an older journal gets them when it is opened.
_ADDED_COLUMNS = {"error_message": "TEXT"}


class JournalLocked(RuntimeError):
    """Another agent process holds this journal."""


@dataclass(frozen=True)
class Entry:
    seq: int
    event_id: str
    device_id: str
    technology: str
    card_uid: str
    wall_ns: int
    boottime_ns: int
    boot_id: str | None
    clock_synced: bool
    corrected_wall_ns: int | None
    acked_at_ns: int | None = None
    outcome: str | None = None
    error: str | None = None
    worker_name: str | None = None
    error_message: str | None = None

    @property
    def occurred_at(self) -> datetime:
        """The time sent to the server: corrected once the clock synced, else as read."""
        ns = self.corrected_wall_ns if self.corrected_wall_ns is not None else self.wall_ns
        return datetime.fromtimestamp(ns / 1e9, UTC)

    @property
    def clock_trusted(self) -> bool:
        return self.clock_synced or self.corrected_wall_ns is not None

    def as_upload(self) -> dict[str, object]:
        """One event of `POST /api/v1/touches` (docs/nfc.md)."""
        return {
            "event_id": self.event_id,
            "card_uid": self.card_uid,
            "occurred_at": self.occurred_at.isoformat(timespec="milliseconds"),
            "seq": self.seq,
            "clock_synced": self.clock_trusted,
        }


@dataclass(frozen=True)
class Ack:
    """The server's verdict on one event: `acked` or `rejected` (with the server's error code
    and its reason in words)."""

    outcome: str
    error: str | None = None
    worker_name: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Status:
    """What `genba-call nfc-agent --status` reports (read-only)."""

    pending: int
    sent: int
    rejected: int
    last_upload_ns: int | None
    last_rejections: list[Entry]


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest_wall_ns: int | None


_COLUMNS = (
    "seq, event_id, device_id, technology, card_uid, wall_ns, boottime_ns, boot_id, "
    "clock_synced, corrected_wall_ns, acked_at_ns, outcome, error, worker_name, error_message"
)


def _entry(row: tuple[object, ...]) -> Entry:
    values = list(row)
    values[8] = bool(values[8])
    return Entry(*values)  # type: ignore[arg-type]


class Journal:
    """One connection to the journal file; open one per thread (SQLite's rule)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes effect on a new file
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"{self.path}: SQLite refused WAL mode ({mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in filter(str.strip, _SCHEMA.split(";")):
            self._db.execute(statement)
        self._add_missing_columns()
        self.device_id = self._meta_default("device_id", str(uuid.uuid4()))
        self._lock_file: IO[str] | None = None

    # ------------------------------------------------------------------ life cycle

    def lock(self) -> None:
        """Take the one-agent-per-journal lock (released by the OS if the process dies)."""
        handle = open(f"{self.path}.lock", "w")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise JournalLocked(f"{self.path} is in use by another nfc-agent") from exc
        self._lock_file = handle

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _add_missing_columns(self) -> None:
        """Migrate a journal written by an older agent (its rows stay as they are)."""
        with self._transaction():
            present = {row[1] for row in self._db.execute("PRAGMA table_info(touches)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE touches ADD COLUMN {name} {kind}")

    def _meta_default(self, key: str, value: str) -> str:
        with self._transaction():
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    # ------------------------------------------------------------------ writing

    def append(self, touch: Touch, boot_id: str | None, clock_synced: bool) -> Entry:
        """Store one touch durably; returns it with its event id and sequence number."""
        event_id = str(uuid.uuid4())
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO touches (event_id, device_id, technology, card_uid, wall_ns, "
                "boottime_ns, boot_id, clock_synced) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    self.device_id,
                    touch.technology,
                    touch.card_uid,
                    touch.wall_ns,
                    touch.boottime_ns,
                    boot_id,
                    int(clock_synced),
                ),
            )
        seq = cursor.lastrowid
        assert seq is not None
        return Entry(
            seq=seq,
            event_id=event_id,
            device_id=self.device_id,
            technology=touch.technology,
            card_uid=touch.card_uid,
            wall_ns=touch.wall_ns,
            boottime_ns=touch.boottime_ns,
            boot_id=boot_id,
            clock_synced=clock_synced,
            corrected_wall_ns=None,
        )

    def correct_unsynced(self, boot_id: str | None, now_wall_ns: int, now_boottime_ns: int) -> int:
        """Give unsent touches of this boot that were read with an unsynced clock their true
        time, now that the clock is synced; returns how many were corrected."""
        if boot_id is None:
            return 0
        with self._transaction():
            rows = self._db.execute(
                "SELECT seq, boottime_ns FROM touches WHERE acked_at_ns IS NULL "
                "AND clock_synced = 0 AND corrected_wall_ns IS NULL AND boot_id = ?",
                (boot_id,),
            ).fetchall()
            self._db.executemany(
                "UPDATE touches SET corrected_wall_ns = ? WHERE seq = ?",
                [(corrected_wall_ns(mono, now_wall_ns, now_boottime_ns), s) for s, mono in rows],
            )
        return len(rows)

    def mark_acked(self, acks: dict[str, Ack], at_ns: int) -> None:
        """Record the server's verdicts and the upload time (one transaction)."""
        with self._transaction():
            self._db.executemany(
                "UPDATE touches SET acked_at_ns = ?, outcome = ?, error = ?, error_message = ?, "
                "worker_name = COALESCE(?, worker_name) WHERE event_id = ?",
                [
                    (at_ns, a.outcome, a.error, a.error_message, a.worker_name, eid)
                    for eid, a in acks.items()
                ],
            )
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_upload_ns', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(at_ns),),
            )

    def last_upload_ns(self) -> int | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'last_upload_ns'").fetchone()
        return None if row is None else int(row[0])

    def prune(
        self, now_ns: int, keep_acked: int = KEEP_ACKED, keep_days: int = KEEP_ACKED_DAYS
    ) -> int:
        """Delete acknowledged touches beyond the newest `keep_acked` or older than
        `keep_days`; unacknowledged ones are never touched.  Returns rows deleted."""
        cutoff = now_ns - keep_days * 86_400 * 10**9
        with self._transaction():
            deleted = self._db.execute(
                "DELETE FROM touches WHERE acked_at_ns IS NOT NULL AND (acked_at_ns < ? OR seq "
                "NOT IN (SELECT seq FROM touches WHERE acked_at_ns IS NOT NULL "
                "ORDER BY seq DESC LIMIT ?))",
                (cutoff, keep_acked),
            ).rowcount
        if deleted:
            self._db.execute("PRAGMA incremental_vacuum")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    # ------------------------------------------------------------------ reading

    def pending(self, limit: int) -> list[Entry]:
        """The oldest unacknowledged touches, in sequence order."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM touches WHERE acked_at_ns IS NULL ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [_entry(row) for row in rows]

    def entries(self, event_ids: Iterable[str] | None = None) -> list[Entry]:
        if event_ids is None:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM touches ORDER BY seq").fetchall()
        else:
            ids = list(event_ids)
            marks = ", ".join("?" for _ in ids)
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM touches WHERE event_id IN ({marks}) ORDER BY seq", ids
            ).fetchall()
        return [_entry(row) for row in rows]

    def backlog(self) -> Backlog:
        count, oldest = self._db.execute(
            "SELECT count(*), min(wall_ns) FROM touches WHERE acked_at_ns IS NULL"
        ).fetchone()
        return Backlog(count=int(count), oldest_wall_ns=oldest)

    def status(self, last: int = 10) -> Status:
        """Counts of pending, sent and rejected touches (of those still in the journal: sent
        ones are pruned) and the newest `last` rejections."""
        pending, sent, rejected = self._db.execute(
            "SELECT count(*) FILTER (WHERE acked_at_ns IS NULL), "
            "count(*) FILTER (WHERE outcome = 'acked'), "
            "count(*) FILTER (WHERE outcome = 'rejected') FROM touches"
        ).fetchone()
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM touches WHERE outcome = 'rejected' ORDER BY seq DESC LIMIT ?",
            (last,),
        ).fetchall()
        return Status(
            int(pending), int(sent), int(rejected), self.last_upload_ns(), [_entry(r) for r in rows]
        )
