"""The set-based SQL of reconciliation, for PostgreSQL and SQLite alike.

Two scratch tables (temporary, per connection) carry one (site, date range) through:

- `genba_rc_events`: every phone/NFC event of the site in the scan window, classified by
  window functions (repeat, entry, exit) and attributed to the work date of its shift;
- `genba_rc_days`: one row per (worker, work date) with the day's first entry, last exit,
  sources and event count;
- `genba_rc_wanted`: the exceptions the data shows (`jobs.reconcile_exceptions` compares them
  with the stored ones in SQL).

The rules they implement are in docs/reconciliation.md ("Rules"); `tests/reference_domain.py`
states the same rules as a plain Python loop, and the property tests hold the two together.
Only the dialect-specific fragments differ: epoch milliseconds, timestamp DDL, the
null-safe comparison, ISO text of a timestamp and the JSON object builder.
"""

from __future__ import annotations

from sqlalchemy import Date, TextClause, bindparam, text

from workers_db.models import UTCDateTime

EVENTS_TABLE = "genba_rc_events"
DAYS_TABLE = "genba_rc_days"
WANTED_TABLE = "genba_rc_wanted"


def _ts_type(dialect: str) -> str:
    return "TIMESTAMPTZ" if dialect == "postgresql" else "TIMESTAMP"


def _epoch_ms(dialect: str, column: str) -> str:
    """Whole milliseconds since the epoch of a stored timestamp."""
    if dialect == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column}) * 1000) AS BIGINT)"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; %f is 'SS.SSS'.
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000"
        f" + CAST(substr(strftime('%f', {column}), 4, 3) AS INTEGER))"
    )


def _differs(dialect: str, left: str, right: str) -> str:
    op = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return f"{left} {op} {right}"


def scratch_ddl(dialect: str) -> list[str]:
    ts = _ts_type(dialect)
    return [
        f"""CREATE TEMPORARY TABLE IF NOT EXISTS {EVENTS_TABLE} (
            id BIGINT NOT NULL, worker_id INTEGER NOT NULL, source VARCHAR(10) NOT NULL,
            occurred_at {ts} NOT NULL, t_ms BIGINT NOT NULL, work_date DATE NOT NULL,
            role VARCHAR(6) NOT NULL, attr_date DATE, orphan INTEGER NOT NULL,
            entry_id BIGINT, entry_t_ms BIGINT, entry_date DATE)""",
        f"""CREATE TEMPORARY TABLE IF NOT EXISTS {DAYS_TABLE} (
            worker_id INTEGER NOT NULL, work_date DATE NOT NULL,
            first_in {ts}, last_out {ts},
            has_manual INTEGER NOT NULL, has_nfc INTEGER NOT NULL, has_phone INTEGER NOT NULL,
            has_roster INTEGER NOT NULL, has_approved_manual INTEGER NOT NULL,
            event_count INTEGER NOT NULL)""",
        f"""CREATE TEMPORARY TABLE IF NOT EXISTS {WANTED_TABLE} (
            dedupe_key VARCHAR(200) PRIMARY KEY, ord INTEGER NOT NULL, kind VARCHAR(30) NOT NULL,
            site_id INTEGER NOT NULL, worker_id INTEGER, event_id BIGINT,
            work_date DATE NOT NULL, detail TEXT NOT NULL)""",
        *(
            [f"TRUNCATE {EVENTS_TABLE}, {DAYS_TABLE}, {WANTED_TABLE}"]
            if dialect == "postgresql"
            else [f"DELETE FROM {t}" for t in (EVENTS_TABLE, DAYS_TABLE, WANTED_TABLE)]
        ),
    ]


def _dates(statement: TextClause, *names: str) -> TextClause:
    return statement.bindparams(*(bindparam(name, type_=Date()) for name in names))


def _own_date(role: str, t_ms: str, work_date: str) -> str:
    """The work date an event (its role, time and date) belongs to: an entry its own, an exit
    the latest entry's if it is at most the longest shift after it (NULL: an orphan)."""
    return f"""(CASE WHEN {role} = 'entry' THEN {work_date}
                     WHEN {role} = 'exit' AND entry_t_ms IS NOT NULL
                          AND {t_ms} - entry_t_ms <= :max_shift_ms THEN entry_date END)"""


def classify_events(dialect: str) -> TextClause:
    """Fill `genba_rc_events` for one site and scan window (the day rules of
    `ivr_flows.days`, set-based).

    r: a repeat is less than the window after the worker's previous event at the site.
    c: first role: an explicit direction wins; without one, the first non-repeat event of the
       work date that is not an explicit exit is the entry, every later one an exit.
    d/e/f: a direction-less touch more than the longest shift after the latest entry of c is
       the entry of a new day (the first such touch since that entry; later ones are its
       exits).  Two rounds are exact because the longest shift is at least 12 h: a work date
       has room for one expired entry, not two.
    s: how many rows back (in the worker's time order) the latest entry is, and the latest
       non-repeat (the event a repeat repeats; a worker's first event is never a repeat).
    a: those rows' values, read by `LAG` that many rows back: the same window and order as d,
       f and s, so no partition of its own and no sort.  An exit belongs to the date of the
       latest entry if it is at most the longest shift after it, otherwise it is an orphan
       and starts nothing (`_own_date`); a repeat takes the date of the event it repeats
       (the rows between them are repeats, so that event's latest entry is the repeat's).
    """
    statement = text(
        f"""
        INSERT INTO {EVENTS_TABLE} (id, worker_id, source, occurred_at, t_ms, work_date, role,
                                    attr_date, orphan, entry_id, entry_t_ms, entry_date)
        WITH p AS (
            SELECT e.id, e.worker_id, e.source, e.occurred_at,
                   {_epoch_ms(dialect, "e.occurred_at")} AS t_ms, e.work_date, e.direction
            FROM events e
            WHERE e.site_id = :site_id AND e.work_date BETWEEN :scan_first AND :scan_last
              AND e.worker_id IS NOT NULL AND e.source IN ('phone', 'nfc')
        ), r AS (
            SELECT p.*, CASE WHEN p.t_ms - LAG(p.t_ms) OVER (
                        PARTITION BY p.worker_id ORDER BY p.t_ms, p.id) < :window_ms
                    THEN 1 ELSE 0 END AS is_repeat
            FROM p
        ), c AS (
            SELECT r.*, CASE
                    WHEN r.is_repeat = 1 THEN 'repeat'
                    WHEN r.direction IS NOT NULL THEN r.direction
                    WHEN ROW_NUMBER() OVER (
                        PARTITION BY r.worker_id, r.work_date, r.is_repeat,
                                     CASE WHEN r.direction = 'exit' THEN 1 ELSE 0 END
                        ORDER BY r.t_ms, r.id) = 1 THEN 'entry'
                    ELSE 'exit' END AS role1
            FROM r
        ), d AS (
            SELECT c.*, MAX(CASE WHEN c.role1 = 'entry' THEN c.t_ms END) OVER w AS e1_ms,
                   ROW_NUMBER() OVER w AS rn
            FROM c
            WINDOW w AS (PARTITION BY c.worker_id ORDER BY c.t_ms, c.id
                         ROWS UNBOUNDED PRECEDING)
        ), e AS (
            SELECT d.*, CASE WHEN d.direction IS NULL AND d.role1 = 'exit'
                             AND d.t_ms - d.e1_ms > :max_shift_ms THEN 1 ELSE 0 END AS late
            FROM d
        ), f AS (
            SELECT e.*, CASE WHEN e.late = 1 AND COALESCE(MAX(
                        CASE WHEN e.late = 1 THEN e.t_ms END) OVER (
                        PARTITION BY e.worker_id ORDER BY e.t_ms, e.id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -1) < e.e1_ms
                    THEN 'entry' ELSE e.role1 END AS role
            FROM e
        ), s AS (
            SELECT f.*,
                CAST(f.rn - MAX(CASE WHEN f.role = 'entry' THEN f.rn END) OVER w AS INTEGER)
                    AS entry_back,
                CAST(f.rn - MAX(CASE WHEN f.role <> 'repeat' THEN f.rn END) OVER w AS INTEGER)
                    AS head_back
            FROM f
            WINDOW w AS (PARTITION BY f.worker_id ORDER BY f.t_ms, f.id
                         ROWS UNBOUNDED PRECEDING)
        ), a AS (
            SELECT s.*,
                LAG(s.id, s.entry_back) OVER w AS entry_id,
                LAG(s.t_ms, s.entry_back) OVER w AS entry_t_ms,
                LAG(s.work_date, s.entry_back) OVER w AS entry_date,
                LAG(s.role, s.head_back) OVER w AS head_role,
                LAG(s.t_ms, s.head_back) OVER w AS head_t_ms,
                LAG(s.work_date, s.head_back) OVER w AS head_date
            FROM s
            WINDOW w AS (PARTITION BY s.worker_id ORDER BY s.t_ms, s.id)
        )
        SELECT id, worker_id, source, occurred_at, t_ms, work_date, role,
               CASE WHEN role = 'repeat' THEN {_own_date("head_role", "head_t_ms", "head_date")}
                    ELSE {_own_date("role", "t_ms", "work_date")} END,
               CASE WHEN role = 'exit' AND (entry_t_ms IS NULL
                         OR t_ms - entry_t_ms > :max_shift_ms) THEN 1 ELSE 0 END,
               entry_id, entry_t_ms, entry_date
        FROM a
        """
    )
    return _dates(statement, "scan_first", "scan_last")


def aggregate_days() -> TextClause:
    """One row per (worker, work date) of the range: attributed phone/NFC events plus the
    manual and roster events of the date (those never pair or repeat; a manual event with a
    direction, such as the exit time the office set for a forgotten exit, gives its time).
    A day the office dropped (an `overlapping_sites` resolved with `:dropped_reason`) makes
    no record (looked up within the range: the site/status/date index finds those days)."""
    statement = text(
        f"""
        INSERT INTO {DAYS_TABLE} (worker_id, work_date, first_in, last_out, has_manual,
                                  has_nfc, has_phone, has_roster, has_approved_manual,
                                  event_count)
        SELECT x.worker_id, x.work_date,
            MIN(CASE WHEN x.role = 'entry' THEN x.occurred_at END),
            MAX(CASE WHEN x.role = 'exit' THEN x.occurred_at END),
            MAX(CASE WHEN x.source = 'manual' THEN 1 ELSE 0 END),
            MAX(CASE WHEN x.source = 'nfc' THEN 1 ELSE 0 END),
            MAX(CASE WHEN x.source = 'phone' THEN 1 ELSE 0 END),
            MAX(CASE WHEN x.source = 'roster' THEN 1 ELSE 0 END),
            MAX(CASE WHEN x.source = 'manual' AND x.approved = 1 THEN 1 ELSE 0 END),
            COUNT(*)
        FROM (
            SELECT worker_id, attr_date AS work_date, source, occurred_at, role, 0 AS approved
            FROM {EVENTS_TABLE}
            WHERE attr_date BETWEEN :first AND :last
            UNION ALL
            SELECT worker_id, work_date, source, occurred_at,
                   CASE WHEN source = 'manual' AND direction IS NOT NULL THEN direction
                        ELSE 'day' END AS role,
                   CASE WHEN approved_at IS NOT NULL THEN 1 ELSE 0 END AS approved
            FROM events
            WHERE site_id = :site_id AND work_date BETWEEN :first AND :last
              AND worker_id IS NOT NULL AND source IN ('manual', 'roster')
        ) x
        GROUP BY x.worker_id, x.work_date
        HAVING NOT EXISTS (
            SELECT 1 FROM exceptions dx
            WHERE dx.kind = 'overlapping_sites' AND dx.status = 'resolved'
              AND dx.reason_code = :dropped_reason AND dx.site_id = :site_id
              AND dx.work_date BETWEEN :first AND :last
              AND dx.worker_id = x.worker_id AND dx.work_date = x.work_date)
        """
    )
    return _dates(statement, "first", "last")


def delete_stale_records() -> TextClause:
    statement = text(
        f"""
        DELETE FROM work_records
        WHERE site_id = :site_id AND work_date BETWEEN :first AND :last
          AND NOT EXISTS (SELECT 1 FROM {DAYS_TABLE} d
                          WHERE d.worker_id = work_records.worker_id
                            AND d.work_date = work_records.work_date)
        """
    )
    return _dates(statement, "first", "last")


SOURCES_SQL = (
    "SUBSTR((CASE WHEN d.has_manual = 1 THEN ',manual' ELSE '' END)"
    " || (CASE WHEN d.has_nfc = 1 THEN ',nfc' ELSE '' END)"
    " || (CASE WHEN d.has_phone = 1 THEN ',phone' ELSE '' END)"
    " || (CASE WHEN d.has_roster = 1 THEN ',roster' ELSE '' END), 2)"
)
COUNTABLE_SQL = (
    "(w.ccus_worker_id IS NOT NULL"
    " AND (d.has_nfc = 1 OR d.has_phone = 1 OR d.has_approved_manual = 1))"
)
_RECORD_COLUMNS = ("first_in", "last_out", "sources", "countable", "event_count")
_DAY_RECORDS = f"""
    SELECT d.worker_id, d.work_date, d.first_in, d.last_out, {SOURCES_SQL} AS sources,
           {COUNTABLE_SQL} AS countable, d.event_count
    FROM {DAYS_TABLE} d JOIN workers w ON w.id = d.worker_id"""


def update_records(dialect: str) -> TextClause:
    """Update the stored days that changed, leave identical ones untouched (so a second run
    changes nothing, not even `updated_at`)."""
    changed = " OR ".join(_differs(dialect, f"work_records.{c}", f"n.{c}") for c in _RECORD_COLUMNS)
    assignments = ", ".join(f"{c} = n.{c}" for c in _RECORD_COLUMNS)
    statement = text(
        f"""
        UPDATE work_records SET {assignments}, updated_at = :now
        FROM ({_DAY_RECORDS}) n
        WHERE work_records.worker_id = n.worker_id AND work_records.site_id = :site_id
          AND work_records.work_date = n.work_date AND ({changed})
        """
    )
    return statement.bindparams(bindparam("now", type_=UTCDateTime()))


def insert_records() -> TextClause:
    """Insert the new days.  A plain INSERT (`ON CONFLICT` costs each row a speculative
    insertion, about a fifth more): only reconciliation writes work records, one transaction
    per site at a time (the site's advisory lock on PostgreSQL, the write lock on SQLite), and
    each statement sees what the one before it committed."""
    statement = text(
        f"""
        INSERT INTO work_records (worker_id, site_id, work_date, first_in, last_out, sources,
                                  countable, event_count, updated_at)
        SELECT n.worker_id, :site_id, n.work_date, n.first_in, n.last_out, n.sources,
               n.countable, n.event_count, :now
        FROM ({_DAY_RECORDS}) n
        WHERE NOT EXISTS (SELECT 1 FROM work_records r
                          WHERE r.worker_id = n.worker_id AND r.site_id = :site_id
                            AND r.work_date = n.work_date)
        """
    )
    return statement.bindparams(bindparam("now", type_=UTCDateTime()))


def orphan_exits() -> TextClause:
    """Exits that started nothing, with the entry they could not close (if any)."""
    return text(
        f"""
        SELECT x.id, x.worker_id, x.occurred_at, x.t_ms, x.work_date,
               x.entry_id, x.entry_t_ms, x.entry_date, en.occurred_at AS entry_at
        FROM {EVENTS_TABLE} x LEFT JOIN {EVENTS_TABLE} en ON en.id = x.entry_id
        WHERE x.role = 'exit' AND x.orphan = 1
        ORDER BY x.t_ms, x.id
        """
    )


def iso_utc(dialect: str, column: str) -> str:
    """A stored timestamp as the ISO 8601 text `datetime.isoformat()` gives in UTC
    (`2025-06-02T22:00:00+00:00`, `.ffffff` only when there are microseconds)."""
    if dialect == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN to_char({utc}, 'US') = '000000' THEN ''"
            f" ELSE '.' || to_char({utc}, 'US') END || '+00:00')"
        )
    # SQLite stores naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'.
    return (
        f"(replace(substr({column}, 1, 19), ' ', 'T')"
        f" || CASE WHEN substr({column}, 21, 6) IN ('', '000000') THEN ''"
        f" ELSE '.' || substr({column}, 21, 6) END || '+00:00')"
    )


def json_object(dialect: str, *pairs: tuple[str, str]) -> str:
    """A JSON object (as text) from (key, SQL expression) pairs, in that order."""
    function = "json_build_object" if dialect == "postgresql" else "json_object"
    items = ", ".join(f"'{key}', {value}" for key, value in pairs)
    return f"CAST({function}({items}) AS TEXT)"


def want_expired_entries(dialect: str) -> TextClause:
    """Add to `genba_rc_wanted` the `no_exit` of every entry of the range left without an
    exit: the worker's next non-repeat event at the site comes more than the longest shift
    later, or none came and `:now_ms` is past it.  An orphan exit's `no_exit` on the same
    entry (already wanted) describes it instead.  Ordered by time after `:ord` (the rows
    wanted so far)."""
    detail = json_object(
        dialect,
        ("entry_event_id", "n.id"),
        ("entry_at", iso_utc(dialect, "n.occurred_at")),
        ("exit_event_id", "NULL"),
        ("exit_at", "NULL"),
        ("next_at", iso_utc(dialect, "n.next_at")),
        ("hours_after_entry", "NULL"),
    )
    statement = text(
        f"""
        INSERT INTO {WANTED_TABLE} (dedupe_key, ord, kind, site_id, worker_id, event_id,
                                    work_date, detail)
        SELECT 'no_exit:' || n.id, :ord + ROW_NUMBER() OVER (ORDER BY n.t_ms, n.id), 'no_exit',
               :site_id, n.worker_id, n.id, n.work_date, {detail}
        FROM (
            SELECT x.id, x.worker_id, x.occurred_at, x.t_ms, x.work_date, x.role,
                   LEAD(x.t_ms) OVER w AS next_ms, LEAD(x.occurred_at) OVER w AS next_at
            FROM {EVENTS_TABLE} x
            WHERE x.role <> 'repeat'
            WINDOW w AS (PARTITION BY x.worker_id ORDER BY x.t_ms, x.id)
        ) n
        WHERE n.role = 'entry' AND n.work_date BETWEEN :first AND :last
          AND COALESCE(n.next_ms, :now_ms) - n.t_ms > :max_shift_ms
          AND NOT EXISTS (SELECT 1 FROM {WANTED_TABLE} o WHERE o.dedupe_key = 'no_exit:' || n.id)
        """
    )
    return _dates(statement, "first", "last")


def _near(dialect: str, left: str, right: str) -> str:
    """`left` and `right` (timestamps) less than `:hop_ms` apart.  On PostgreSQL a range on
    the timestamp first, so the worker/time index finds the candidates."""
    exact = f"ABS({_epoch_ms(dialect, left)} - {_epoch_ms(dialect, right)}) < :hop_ms"
    if dialect != "postgresql":
        return exact
    return f"{left} > {right} - :hop_interval AND {left} < {right} + :hop_interval AND {exact}"


def site_hops(dialect: str) -> TextClause:
    """This site's presence events of the range and one worker's presence events at another
    site less than the hop window apart (each side dated by its event's own work date)."""
    statement = text(
        f"""
        SELECT x.worker_id, x.work_date, x.occurred_at, o.site_id AS other_site,
               o.work_date AS other_date, o.occurred_at AS other_at
        FROM {EVENTS_TABLE} x JOIN events o
          ON o.worker_id = x.worker_id AND o.site_id <> :site_id
         AND o.source IN ('phone', 'nfc') AND {_near(dialect, "o.occurred_at", "x.occurred_at")}
        WHERE x.work_date BETWEEN :first AND :last
        ORDER BY x.worker_id, x.t_ms, x.id, o.occurred_at, o.id
        """
    )
    return _dates(statement, "first", "last")


def hop_remains(dialect: str) -> str:
    """SQL condition: exception row `x` (site, worker, date) still has a site hop."""
    return f"""EXISTS (
        SELECT 1 FROM events ha JOIN events hb
          ON hb.worker_id = ha.worker_id AND hb.site_id <> ha.site_id
         AND hb.source IN ('phone', 'nfc') AND {_near(dialect, "hb.occurred_at", "ha.occurred_at")}
        WHERE ha.site_id = x.site_id AND ha.worker_id = x.worker_id
          AND ha.work_date = x.work_date AND ha.source IN ('phone', 'nfc'))"""


def analyze_scratch(dialect: str, *tables: str) -> list[str]:
    """PostgreSQL never auto-analyzes temporary tables; the joins on them need row counts."""
    return [f"ANALYZE {table}" for table in tables] if dialect == "postgresql" else []
