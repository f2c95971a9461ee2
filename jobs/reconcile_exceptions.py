"""The exceptions reconciliation raises and clears: `no_exit` (an entry left without an exit
for longer than the longest shift), `overlapping_sites` (one worker at two sites at once, or
a site hop), `clock_unsynced` and `manual_pending`.

For one (site, date range) the wanted set is computed from the data (set-based queries; the
rows are few).  Missing ones are raised (idempotent on `dedupe_key`); open ones whose
condition vanished are closed, never deleted: status `resolved`, reason `confirmed_correct`,
`resolved_by = "system:reconcile"`, with an audit row, so the trail shows that the data, not a
person, settled it.  An exception a person resolved stays resolved; one that reconciliation
closed is reopened (and audited) if its condition comes back.  Kinds raised at intake
(`unknown_caller`, …) are never touched here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Date, Table, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ivr_flows.days import DayRules
from jobs import reconcile_sql as sql
from workers_db.audit import audit, system_actor
from workers_db.models import WorkException
from workers_db.resolutions import DROPPED_REASON

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RECONCILE_ACTOR = system_actor("reconcile")
# Rows closed before the audit trail had one actor format carry the bare job name.
_CLOSED_BY_RECONCILE = (RECONCILE_ACTOR, "reconcile")
CLEAR_REASON = "confirmed_correct"
CLEAR_NOTE = (
    "条件が解消したため自動でクローズ (condition no longer holds; closed by reconciliation)"
)
MANAGED_KINDS = ("no_exit", "overlapping_sites", "clock_unsynced", "manual_pending")
_SITE_DAY_KINDS = ("no_exit", "clock_unsynced", "manual_pending")
# Kinds whose detail only reconciliation writes (the touch intake raises clock_unsynced too,
# with a detail of its own that is kept).
_DETAIL_OWNED = ("no_exit", "overlapping_sites", "manual_pending")


@dataclass(frozen=True)
class Window:
    """The dates one reconciliation writes (`first`..`last`) and reads (`scan_*`), with the
    day rules it applies and the moment it runs (an entry expires against it)."""

    site_id: int
    first: date
    last: date
    scan_first: date
    scan_last: date
    no_exit_lookback_ms: int
    rules: DayRules
    now: datetime

    def params(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "first": self.first,
            "last": self.last,
            "scan_first": self.scan_first,
            "scan_last": self.scan_last,
            "max_shift_ms": self.rules.max_shift_s * 1000,
            "hop_ms": self.rules.site_hop_s * 1000,
            "hop_interval": timedelta(seconds=self.rules.site_hop_s),
            "now_ms": (self.now - EPOCH) // timedelta(milliseconds=1),
            "dropped_reason": DROPPED_REASON,
        }


@dataclass
class Wanted:
    kind: str
    key: str
    worker_id: int | None
    work_date: date
    site_id: int
    event_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _iso(value: Any) -> str | None:
    """ISO 8601 in UTC; SQLite hands timestamps through text() queries as naive UTC text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat())


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _no_exit(session: Session, win: Window) -> list[Wanted]:
    """`no_exit` on an entry left without an exit for longer than the longest shift: its next
    event came later than that (a new day's entry, or an exit that starts nothing), or none
    came and the shift is over by now.  Keyed and dated by the entry; an orphan exit with no
    entry in the 48 h before gets one of its own."""
    wanted: dict[str, Wanted] = {}
    for row in session.execute(sql.orphan_exits()).mappings():
        has_entry = (
            row["entry_id"] is not None
            and row["t_ms"] - row["entry_t_ms"] <= win.no_exit_lookback_ms
        )
        if has_entry:
            key, day, event_id = f"no_exit:{row['entry_id']}", row["entry_date"], row["entry_id"]
        else:
            key, day, event_id = f"no_exit:exit:{row['id']}", row["work_date"], row["id"]
        day = _as_date(day)
        if not (win.first <= day <= win.last) or key in wanted:
            continue  # ordered by time: the first orphan exit describes the exception
        wanted[key] = Wanted(
            "no_exit",
            key,
            row["worker_id"],
            day,
            win.site_id,
            event_id,
            {
                "entry_event_id": row["entry_id"] if has_entry else None,
                "entry_at": _iso(row["entry_at"]) if has_entry else None,
                "exit_event_id": row["id"],
                "exit_at": _iso(row["occurred_at"]),
                "next_at": None,
                "hours_after_entry": round((row["t_ms"] - row["entry_t_ms"]) / 3_600_000, 1)
                if has_entry
                else None,
            },
        )
    for row in session.execute(sql.expired_entries(), win.params()).mappings():
        key = f"no_exit:{row['id']}"
        if key in wanted:
            continue
        wanted[key] = Wanted(
            "no_exit",
            key,
            row["worker_id"],
            _as_date(row["work_date"]),
            win.site_id,
            row["id"],
            {
                "entry_event_id": row["id"],
                "entry_at": _iso(row["occurred_at"]),
                "exit_event_id": None,
                "exit_at": None,
                "next_at": _iso(row["next_at"]),
                "hours_after_entry": None,
            },
        )
    return list(wanted.values())


_OVERLAP = (
    "r1.first_in IS NOT NULL AND r2.first_in IS NOT NULL"
    " AND r1.first_in < COALESCE(r2.last_out, r2.first_in)"
    " AND r2.first_in < COALESCE(r1.last_out, r1.first_in)"
)


def _overlaps(session: Session, win: Window, dialect: str) -> list[Wanted]:
    """One worker at two sites at once: his days here (in range) and at another site whose
    [first_in, last_out] intervals intersect, or events here and there less than the hop
    window apart (a site hop).  One exception on each side, naming the other site."""
    band = {**win.params(), "band_first": win.scan_first, "band_last": win.scan_last}
    rows = session.execute(
        text(
            f"""
            SELECT r1.worker_id, r1.work_date, r1.first_in, r1.last_out,
                   r2.site_id AS other_site, r2.work_date AS other_date,
                   r2.first_in AS other_in, r2.last_out AS other_out
            FROM work_records r1 JOIN work_records r2
              ON r2.worker_id = r1.worker_id AND r2.site_id <> r1.site_id
            WHERE r1.site_id = :site_id AND r1.work_date BETWEEN :first AND :last
              AND r2.work_date BETWEEN :band_first AND :band_last AND {_OVERLAP}
            ORDER BY r1.worker_id, r1.work_date, r2.site_id, r2.work_date
            """
        ).bindparams(
            *(bindparam(n, type_=Date()) for n in ("first", "last", "band_first", "band_last"))
        ),
        band,
    ).mappings()
    wanted: dict[str, Wanted] = {}

    def side(site: int, worker: int, day: Any, key_of: str, other: dict[str, Any]) -> None:
        day = _as_date(day)
        key = f"overlapping_sites:{site}:{worker}:{day.isoformat()}"
        item = wanted.setdefault(
            key,
            Wanted(
                "overlapping_sites",
                key,
                worker,
                day,
                site,
                None,
                {"first_in": None, "last_out": None, "other_sites": [], "hops": []},
            ),
        )
        if other not in item.detail[key_of]:
            item.detail[key_of].append(other)

    def times(site: int, worker: int, day: Any, start: Any, end: Any) -> None:
        detail = wanted[f"overlapping_sites:{site}:{worker}:{_as_date(day).isoformat()}"].detail
        detail["first_in"], detail["last_out"] = _iso(start), _iso(end)

    for r in rows:
        here, there = _as_date(r["work_date"]).isoformat(), _as_date(r["other_date"]).isoformat()
        worker = r["worker_id"]
        side(
            win.site_id,
            worker,
            here,
            "other_sites",
            {"site_id": r["other_site"], "work_date": there},
        )
        side(
            r["other_site"],
            worker,
            there,
            "other_sites",
            {"site_id": win.site_id, "work_date": here},
        )
        times(win.site_id, worker, here, r["first_in"], r["last_out"])
        times(r["other_site"], worker, there, r["other_in"], r["other_out"])
    if win.rules.site_hop_s > 0:
        for r in session.execute(sql.site_hops(dialect), win.params()).mappings():
            at, other_at = _iso(r["occurred_at"]), _iso(r["other_at"])
            worker = r["worker_id"]
            side(
                win.site_id,
                worker,
                r["work_date"],
                "hops",
                {"at": at, "other_site_id": r["other_site"], "other_at": other_at},
            )
            side(
                r["other_site"],
                worker,
                r["other_date"],
                "hops",
                {"at": other_at, "other_site_id": win.site_id, "other_at": at},
            )
    return list(wanted.values())


def _stale_overlaps(session: Session, win: Window, dialect: str) -> list[tuple[int, str]]:
    """Open overlap exceptions near these dates (any site: the other side of a pair, or a
    worker whose events were relinked) whose day no longer overlaps another site's and has
    no site hop any more."""
    statement = text(
        f"""
        SELECT x.id, x.dedupe_key FROM exceptions x
        WHERE x.kind = 'overlapping_sites' AND x.status = 'open'
          AND x.work_date BETWEEN :scan_first AND :scan_last
          AND NOT EXISTS (
              SELECT 1 FROM work_records r1 JOIN work_records r2
                ON r2.worker_id = r1.worker_id AND r2.site_id <> r1.site_id
              WHERE r1.site_id = x.site_id AND r1.worker_id = x.worker_id
                AND r1.work_date = x.work_date AND {_OVERLAP})
          AND NOT {sql.hop_remains(dialect)}
        """
    ).bindparams(bindparam("scan_first", type_=Date()), bindparam("scan_last", type_=Date()))
    return [(row[0], row[1]) for row in session.execute(statement, win.params())]


def _clock_unsynced(session: Session, win: Window) -> list[Wanted]:
    """Events stamped by a reader whose clock was not synchronised: one exception per reader
    and day (the key the touch intake uses too), whoever the card belongs to."""
    rows = session.execute(
        text(
            """
            SELECT e.work_date, e.device, COUNT(*) AS n, MIN(e.id) AS first_id
            FROM events e
            WHERE e.site_id = :site_id AND e.work_date BETWEEN :first AND :last
              AND NOT e.clock_synced
            GROUP BY e.work_date, e.device
            """
        ).bindparams(bindparam("first", type_=Date()), bindparam("last", type_=Date())),
        win.params(),
    ).mappings()
    out = []
    for r in rows:
        day = _as_date(r["work_date"])
        out.append(
            Wanted(
                "clock_unsynced",
                f"clock_unsynced:{win.site_id}:{r['device'] or '-'}:{day.isoformat()}",
                None,
                day,
                win.site_id,
                r["first_id"],
                {"device": r["device"], "events": r["n"]},
            )
        )
    return out


def _manual_pending(session: Session, win: Window) -> list[Wanted]:
    rows = session.execute(
        text(
            """
            SELECT e.id, e.worker_id, e.work_date, e.note FROM events e
            WHERE e.site_id = :site_id AND e.work_date BETWEEN :first AND :last
              AND e.source = 'manual' AND e.worker_id IS NOT NULL AND e.approved_at IS NULL
            """
        ).bindparams(bindparam("first", type_=Date()), bindparam("last", type_=Date())),
        win.params(),
    ).mappings()
    return [
        Wanted(
            "manual_pending",
            f"manual_pending:{r['id']}",
            r["worker_id"],
            _as_date(r["work_date"]),
            win.site_id,
            r["id"],
            {"note": r["note"]},
        )
        for r in rows
    ]


def _existing(session: Session, keys: Iterable[str]) -> dict[str, Any]:
    """(id, status, resolved_by, detail) of the stored exceptions with these keys (plain rows:
    a day of forgotten exits may hold thousands)."""
    keys = list(keys)
    found: dict[str, Any] = {}
    columns = (
        WorkException.dedupe_key,
        WorkException.id,
        WorkException.status,
        WorkException.resolved_by,
        WorkException.detail,
    )
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        for row in session.execute(select(*columns).where(WorkException.dedupe_key.in_(chunk))):
            found[row.dedupe_key] = row
    return found


def _insert_missing(session: Session, missing: list[Wanted], dialect: str, now: datetime) -> int:
    """Raise the new ones in a few multi-row INSERTs; the unique `dedupe_key` decides a race
    with the intake or another job (the row that is there stays)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, WorkException.__table__)
    statement = (
        insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    )
    rows = [
        {
            "kind": w.kind,
            "dedupe_key": w.key,
            "site_id": w.site_id,
            "worker_id": w.worker_id,
            "event_id": w.event_id,
            "work_date": w.work_date,
            "detail": w.detail,
            "status": "open",
            "created_at": now,
        }
        for w in missing
    ]
    if not rows:
        return 0
    raised = len(session.execute(statement, rows).all())
    return raised


def sync_exceptions(session: Session, win: Window, dialect: str) -> tuple[int, int]:
    """Raise what the data shows, close what it no longer shows; returns (raised, cleared)."""
    now = win.now
    wanted = {
        w.key: w
        for w in (
            *_no_exit(session, win),
            *_overlaps(session, win, dialect),
            *_clock_unsynced(session, win),
            *_manual_pending(session, win),
        )
    }
    existing = _existing(session, wanted)
    raised = _insert_missing(
        session, [w for key, w in wanted.items() if key not in existing], dialect, now
    )
    for key, w in wanted.items():
        found = existing.get(key)
        if found is None:
            continue
        if found.status == "resolved" and found.resolved_by in _CLOSED_BY_RECONCILE:
            row = session.get(WorkException, found.id)
            assert row is not None
            row.status, row.reason_code, row.resolution_note = "open", None, None
            row.resolved_by, row.resolved_at, row.detail = None, None, w.detail
            audit(session, RECONCILE_ACTOR, "reopen_exception", "exception", row.id, kind=row.kind)
            raised += 1
        elif (
            found.status == "open"
            and w.kind in _DETAIL_OWNED
            and w.site_id == win.site_id  # the other side of a pair sees only its own half
            and found.detail != w.detail
        ):
            session.execute(
                update(WorkException).where(WorkException.id == found.id).values(detail=w.detail)
            )
    candidates = dict(_stale_overlaps(session, win, dialect))
    candidates.update(
        (row[0], row[1])
        for row in session.execute(
            select(WorkException.id, WorkException.dedupe_key).where(
                WorkException.kind.in_(_SITE_DAY_KINDS),
                WorkException.status == "open",
                WorkException.site_id == win.site_id,
                WorkException.work_date.between(win.first, win.last),
            )
        )
    )
    stale = [i for i, key in candidates.items() if key not in wanted]
    cleared = 0
    for row in session.scalars(
        select(WorkException).where(WorkException.id.in_(stale)).order_by(WorkException.id)
    ):
        row.status, row.reason_code, row.resolution_note = "resolved", CLEAR_REASON, CLEAR_NOTE
        row.resolved_by, row.resolved_at = RECONCILE_ACTOR, now
        audit(
            session,
            RECONCILE_ACTOR,
            "clear_exception",
            "exception",
            row.id,
            kind=row.kind,
            reason_code=CLEAR_REASON,
        )
        cleared += 1
    session.flush()
    return raised, cleared
