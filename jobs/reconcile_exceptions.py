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

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from ivr_flows.days import DayRules
from jobs import reconcile_sql as sql
from workers_db.audit import audit, system_actor
from workers_db.models import UTCDateTime, WorkException
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


def _orphan_exits(session: Session, win: Window) -> list[Wanted]:
    """`no_exit` from exits that started nothing (later than the longest shift after the
    latest entry): keyed and dated by the entry they could not close; an orphan exit with no
    entry in the 48 h before gets one of its own.  They are few; the many entries left
    without an exit are wanted in SQL (`reconcile_sql.want_expired_entries`, after these:
    an orphan exit describes its entry's exception)."""
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


_UNWANTED = f"NOT EXISTS (SELECT 1 FROM {sql.WANTED_TABLE} w WHERE w.dedupe_key = x.dedupe_key)"


def _stale_overlaps(session: Session, win: Window, dialect: str) -> set[int]:
    """Open overlap exceptions near these dates (any site: the other side of a pair, or a
    worker whose events were relinked) not wanted any more, whose day no longer overlaps
    another site's and has no site hop any more."""
    statement = text(
        f"""
        SELECT x.id FROM exceptions x
        WHERE x.kind = 'overlapping_sites' AND x.status = 'open'
          AND x.work_date BETWEEN :scan_first AND :scan_last AND {_UNWANTED}
          AND NOT EXISTS (
              SELECT 1 FROM work_records r1 JOIN work_records r2
                ON r2.worker_id = r1.worker_id AND r2.site_id <> r1.site_id
              WHERE r1.site_id = x.site_id AND r1.worker_id = x.worker_id
                AND r1.work_date = x.work_date AND {_OVERLAP})
          AND NOT {sql.hop_remains(dialect)}
        """
    ).bindparams(bindparam("scan_first", type_=Date()), bindparam("scan_last", type_=Date()))
    return {row[0] for row in session.execute(statement, win.params())}


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


def _want(session: Session, wanted: list[Wanted], ord: int) -> int:
    """Add these to `genba_rc_wanted`, numbered from `ord` on; returns how many."""
    rows = [
        {
            "key": w.key,
            "ord": ord + i,
            "kind": w.kind,
            "site_id": w.site_id,
            "worker_id": w.worker_id,
            "event_id": w.event_id,
            "work_date": w.work_date,
            "detail": json.dumps(w.detail),
        }
        for i, w in enumerate(wanted)
    ]
    if rows:
        session.execute(
            text(
                f"""INSERT INTO {sql.WANTED_TABLE} (dedupe_key, ord, kind, site_id, worker_id,
                                                    event_id, work_date, detail)
                VALUES (:key, :ord, :kind, :site_id, :worker_id, :event_id, :work_date,
                        :detail)"""
            ).bindparams(bindparam("work_date", type_=Date())),
            rows,
        )
    return len(rows)


def _json(dialect: str, column: str) -> str:
    return f"CAST({column} AS JSON)" if dialect == "postgresql" else column


def _detail_differs(dialect: str, stored: str, wanted: str) -> str:
    """SQL: a stored detail (JSON) is not the wanted one (text); on PostgreSQL compared as
    values (`jsonb`), on SQLite as minified text.  PostgreSQL's `json` keeps the text it was
    given, so a detail stored from the same text (most of them: a re-run wants what it wrote)
    is told apart by the text alone; only a different text is parsed and compared."""
    if dialect == "postgresql":
        return (
            f"CAST({stored} AS TEXT) IS DISTINCT FROM {wanted}"
            f" AND CAST({stored} AS JSONB) IS DISTINCT FROM CAST({wanted} AS JSONB)"
        )
    return f"json({stored}) IS NOT json({wanted})"


def _raise_missing(session: Session, dialect: str, now: datetime) -> int:
    """Raise the wanted ones not stored yet in one INSERT … SELECT, in their order (the
    stored ones found by a probe of the unique key each, so that they take no id); the
    unique `dedupe_key` decides a race with the intake or another job (the row that is there
    stays)."""
    result = session.execute(
        text(
            f"""
            INSERT INTO exceptions (kind, dedupe_key, site_id, worker_id, event_id, work_date,
                                    detail, status, created_at)
            SELECT w.kind, w.dedupe_key, w.site_id, w.worker_id, w.event_id, w.work_date,
                   {_json(dialect, "w.detail")}, 'open', :now
            FROM {sql.WANTED_TABLE} w
            WHERE (SELECT x.id FROM exceptions x WHERE x.dedupe_key = w.dedupe_key) IS NULL
            ORDER BY w.ord
            ON CONFLICT (dedupe_key) DO NOTHING
            """
        ).bindparams(bindparam("now", type_=UTCDateTime())),
        {"now": now},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _reopen_or_refresh(session: Session, win: Window, dialect: str) -> int:
    """The stored ones that need a write: closed by reconciliation (reopened, audited: a
    person's resolution stays), or open here with a changed detail (the new detail; the
    other side of a pair sees only its own half, the touch intake's `clock_unsynced` detail
    is kept).  Returns how many were reopened.

    Found by a correlated scalar subquery: one probe of the unique key per wanted row,
    never a scan of every stored exception."""
    owned = ", ".join(f"'{kind}'" for kind in _DETAIL_OWNED)
    rows = session.execute(
        text(
            f"""
            SELECT s.id, s.detail FROM (
                SELECT w.ord, w.detail, (
                    SELECT x.id FROM exceptions x
                    WHERE x.dedupe_key = w.dedupe_key
                      AND ((x.status = 'resolved' AND x.resolved_by IN :closed_by)
                           OR (x.status = 'open' AND w.site_id = :site_id
                               AND w.kind IN ({owned})
                               AND {_detail_differs(dialect, "x.detail", "w.detail")}))
                ) AS id
                FROM {sql.WANTED_TABLE} w
            ) s
            WHERE s.id IS NOT NULL
            ORDER BY s.ord
            """
        ).bindparams(bindparam("closed_by", expanding=True)),
        {"closed_by": list(_CLOSED_BY_RECONCILE), "site_id": win.site_id},
    ).all()
    reopened = 0
    for exception_id, detail in rows:
        row = session.get(WorkException, exception_id)
        assert row is not None
        if row.status == "resolved":
            row.status, row.reason_code, row.resolution_note = "open", None, None
            row.resolved_by, row.resolved_at = None, None
            audit(session, RECONCILE_ACTOR, "reopen_exception", "exception", row.id, kind=row.kind)
            reopened += 1
        row.detail = json.loads(detail)
    session.flush()
    return reopened


def _stale(session: Session, win: Window, dialect: str) -> list[int]:
    """Open ones reconciliation manages whose condition is gone: overlaps near these dates
    (any site) and this site's day kinds of the range, not wanted any more."""
    site_days = session.execute(
        text(
            f"""
            SELECT x.id FROM exceptions x
            WHERE x.kind IN :kinds AND x.status = 'open' AND x.site_id = :site_id
              AND x.work_date BETWEEN :first AND :last AND {_UNWANTED}
            """
        ).bindparams(
            bindparam("kinds", expanding=True),
            bindparam("first", type_=Date()),
            bindparam("last", type_=Date()),
        ),
        {**win.params(), "kinds": list(_SITE_DAY_KINDS)},
    ).scalars()
    return sorted(set(site_days) | _stale_overlaps(session, win, dialect))


def sync_exceptions(session: Session, win: Window, dialect: str) -> tuple[int, int]:
    """Raise what the data shows, close what it no longer shows; returns (raised, cleared).

    The wanted set goes into a scratch table (`genba_rc_wanted`): the few that need Python
    (orphan exits, overlaps with their lists, readers, pending entries) from here, the many
    `no_exit` of entries left open straight from the classified events in SQL; raising,
    reopening, refreshing and finding the stale ones are set-based against it, by the
    stored rows' keys (the work of one job stays the size of its dates)."""
    now = win.now
    # In the order the rows are raised in: a no_exit of an orphan exit first (it describes
    # its entry's), then those of entries left open, then the rest.
    wanted = _orphan_exits(session, win)
    count = _want(session, wanted, 0)
    count += session.execute(  # type: ignore[attr-defined]
        sql.want_expired_entries(dialect), {**win.params(), "ord": count}
    ).rowcount
    others = {
        w.key: w
        for w in (
            *_overlaps(session, win, dialect),
            *_clock_unsynced(session, win),
            *_manual_pending(session, win),
        )
    }
    _want(session, list(others.values()), count)
    raised = _raise_missing(session, dialect, now)
    raised += _reopen_or_refresh(session, win, dialect)
    cleared = 0
    for row in session.scalars(
        select(WorkException)
        .where(WorkException.id.in_(_stale(session, win, dialect)))
        .order_by(WorkException.id)
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
