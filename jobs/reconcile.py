"""Reconciliation: raw events of every source become one work record (就業履歴) per worker,
site and work date, plus the exceptions the data shows.  The rules are in
docs/reconciliation.md; the SQL in `jobs.reconcile_sql`.

- `reconcile(session, site_id, first, last, …)` rebuilds the records of exactly those work
  dates of one site, in the caller's transaction (set-based statements, no loop per event).
  Running it twice changes nothing; running it after a lost job repairs everything.
- `reconcile_site_days(site_id, "YYYY-MM-DD", "YYYY-MM-DD")` is the RQ job the intake code
  enqueues.  Its dates are the dates whose events changed; it rebuilds every date those
  events can affect (two days before, for overnight shifts, to one day after, for a repeat
  across midnight), one transaction per site and chunk of at most 31 days.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ivr_flows.days import DayRules
from jobs import defaults
from jobs import reconcile_sql as sql
from jobs.reconcile_exceptions import Window, sync_exceptions
from workers_db.db import session_scope
from workers_db.models import Site, utcnow

log = logging.getLogger(__name__)

# An orphan exit's `no_exit` names the latest entry if it is at most this much older.
NO_EXIT_LOOKBACK_S = 48 * 3600
# Events read around the dates written: an exit may follow its entry by the longest shift
# (at most 48 h: two dates later), the first events read need their predecessor for the
# repeat rule, and an entry's `no_exit` needs the next event up to the longest shift after.
SCAN_BEFORE_DAYS = 3
SCAN_AFTER_DAYS = 2
# Dates whose records an event of date D can change: D-2 .. D+1.
AFFECTS_BEFORE_DAYS = 2
AFFECTS_AFTER_DAYS = 1
# More than a chunk plus the days looked at around it (SCAN_*, AFFECTS_*): see within_calendar.
CALENDAR_MARGIN = timedelta(days=defaults.RECONCILE_CHUNK_DAYS + 7)
_LOCK_NAMESPACE = 0x6763  # pg_advisory_xact_lock(namespace, site_id): one rebuild per site


@dataclass(frozen=True)
class ReconcileResult:
    site_id: int
    first: str
    last: str
    records_written: int
    records_deleted: int
    exceptions_raised: int
    exceptions_cleared: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def reconcile(
    session: Session,
    site_id: int,
    first: date,
    last: date,
    *,
    rules: DayRules,
    now: datetime | None = None,
) -> ReconcileResult:
    """Rebuild the work records and reconciliation exceptions of `site_id` for the work dates
    `first`..`last` from the raw events, inside the caller's transaction."""
    if last < first:
        raise ValueError(f"last ({last}) is before first ({first})")
    session.flush()  # pending ORM rows (new events) must be visible to the statements
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Long statements are fine here; a client that died (a SIGKILLed worker) is noticed
        # within a second, so its transaction rolls back and its lock goes at once.
        for name, value in (
            ("statement_timeout", defaults.JOB_STATEMENT_TIMEOUT_MS),
            ("client_connection_check_interval", defaults.JOB_CLIENT_CHECK_MS),
        ):
            session.execute(
                text("SELECT set_config(:name, :value, true)"), {"name": name, "value": str(value)}
            )
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :site)"),
            {"ns": _LOCK_NAMESPACE, "site": site_id},
        )
    for statement in sql.scratch_ddl(dialect):
        session.execute(text(statement))
    now = now or utcnow()
    win = Window(
        site_id=site_id,
        first=first,
        last=last,
        scan_first=first - timedelta(days=SCAN_BEFORE_DAYS),
        scan_last=last + timedelta(days=SCAN_AFTER_DAYS),
        no_exit_lookback_ms=NO_EXIT_LOOKBACK_S * 1000,
        rules=rules,
        now=now,
    )
    params = {**win.params(), "window_ms": rules.repeat_window_s * 1000}
    session.execute(sql.classify_events(dialect), params)
    session.execute(sql.aggregate_days(), params)
    for statement in sql.analyze_scratch(dialect, sql.DAYS_TABLE):
        session.execute(text(statement))
    deleted = session.execute(sql.delete_stale_records(), params).rowcount  # type: ignore[attr-defined]
    written = sum(
        session.execute(statement, {**params, "now": now}).rowcount  # type: ignore[attr-defined]
        for statement in (sql.update_records(dialect), sql.insert_records())
    )
    raised, cleared = sync_exceptions(session, win, dialect)
    return ReconcileResult(
        site_id, first.isoformat(), last.isoformat(), written, deleted, raised, cleared
    )


def affected_dates(first: date, last: date) -> tuple[date, date]:
    """The work dates whose records events of `first`..`last` can change."""
    return (
        first - timedelta(days=AFFECTS_BEFORE_DAYS),
        last + timedelta(days=AFFECTS_AFTER_DAYS),
    )


def within_calendar(first: date, last: date) -> tuple[date, date]:
    """`first`..`last` kept `CALENDAR_MARGIN` clear of the calendar's ends (year 1, year 9999),
    where the days around a date overflow: a job never fails on a date it was given (a write
    of year 1 requests one)."""
    lo, hi = date.min + CALENDAR_MARGIN, date.max - CALENDAR_MARGIN
    return min(max(first, lo), hi), min(max(last, lo), hi)


def chunks(
    first: date, last: date, days: int = defaults.RECONCILE_CHUNK_DAYS
) -> list[tuple[date, date]]:
    out = []
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=days - 1))
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def all_site_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Site.id).order_by(Site.id)))


def reconcile_range(
    factory: sessionmaker[Session],
    site_ids: Sequence[int] | None,
    first: date,
    last: date,
    *,
    rules: DayRules,
    hold_s: float = 0.0,
) -> list[ReconcileResult]:
    """Rebuild exactly `first`..`last` for each site (None: every site), committing one
    transaction per site and chunk: a crash leaves every chunk either done or untouched.

    `hold_s` keeps each transaction open that long after its writes, before the commit (the
    crash test kills a worker there)."""
    first, last = within_calendar(first, last)
    if site_ids is None:
        with session_scope(factory) as session:
            site_ids = all_site_ids(session)
    results = []
    for site_id in site_ids:
        for chunk_first, chunk_last in chunks(first, last):
            with session_scope(factory) as session:
                result = reconcile(session, site_id, chunk_first, chunk_last, rules=rules)
                if hold_s > 0:
                    _hold(session, hold_s)
            results.append(result)
    return results


def _hold(session: Session, seconds: float) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    else:
        time.sleep(seconds)


def parse_iso_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from exc


def summarize(results: Sequence[ReconcileResult]) -> dict[str, object]:
    return {
        "sites": sorted({r.site_id for r in results}),
        "chunks": len(results),
        "records_written": sum(r.records_written for r in results),
        "records_deleted": sum(r.records_deleted for r in results),
        "exceptions_raised": sum(r.exceptions_raised for r in results),
        "exceptions_cleared": sum(r.exceptions_cleared for r in results),
    }


# ---------------------------------------------------------------- RQ jobs


def reconcile_site_days(
    site_id: int | None, date_from: str, date_to: str, hold_s: float = 0.0
) -> dict[str, object]:
    """RQ job: the events of `date_from`..`date_to` at one site (None: every site) changed;
    rebuild every record they can affect.  Ids and ISO dates in, a JSON summary out."""
    return reconcile_sites(None if site_id is None else [site_id], date_from, date_to, hold_s)


def reconcile_sites(
    site_ids: list[int] | None, date_from: str, date_to: str, hold_s: float = 0.0
) -> dict[str, object]:
    """RQ job: like `reconcile_site_days` for a list of sites (None: every site)."""
    from rq import get_current_job

    from jobs import runtime

    job = get_current_job()
    if job is not None and (job.retries_left or 0) < defaults.RETRY_MAX:
        hold_s = 0.0  # the hold is for the first attempt only (the crash test kills it there)
    first, last = affected_dates(
        *within_calendar(parse_iso_date(date_from, "date_from"), parse_iso_date(date_to, "date_to"))
    )
    results = reconcile_range(
        runtime.session_factory(),
        site_ids,
        first,
        last,
        rules=DayRules.of(runtime.settings()),
        hold_s=hold_s,
    )
    summary = summarize(results)
    log.info("reconciled %s..%s: %s", first, last, summary)
    return {"from": first.isoformat(), "to": last.isoformat(), **summary}


def enqueue_reconcile_range(
    queue: Queue,
    site_ids: Sequence[int] | None,
    first: date,
    last: date,
    *,
    hold_s: float = 0.0,
) -> Job:
    """Enqueue a reconciliation of `first`..`last` (API, CLI --async, tests)."""
    options: dict[str, object] = {
        "job_timeout": defaults.JOB_TIMEOUT_S,
        "result_ttl": defaults.RESULT_TTL_S,
        "failure_ttl": defaults.FAILURE_TTL_S,
        "retry": Retry(max=defaults.RETRY_MAX, interval=list(defaults.RETRY_INTERVALS_S)),
    }
    args: tuple[object, ...]
    if site_ids is not None and len(site_ids) == 1:
        func, args = "jobs.reconcile.reconcile_site_days", (site_ids[0],)
    else:
        func, args = (
            "jobs.reconcile.reconcile_sites",
            (None if site_ids is None else list(site_ids),),
        )
    args = (*args, first.isoformat(), last.isoformat())
    if hold_s:
        args = (*args, hold_s)
    return queue.enqueue(func, *args, **options)
