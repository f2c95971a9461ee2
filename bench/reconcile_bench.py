"""Benchmark of reconciliation on PostgreSQL against a baseline measured in the same run.

    .venv/bin/python bench/reconcile_bench.py [--events 1000000] [--small 250000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench]

A large member company's month: 40 sites, 1,100 workers per site, 22 working days; on each
day about half of them come (a phone call or a card touch on arrival, an exit on leaving
most days, a double read now and then, a few night shifts, unknown cards).  The events are
generated deterministically and streamed; for each size (`--small`, then `--events`), in a
scratch database:

- ingest: COPY the events into `events` (with its unique key and indexes);
- baseline: COPY the same rows into a plain table and build the per-(card, site, day)
  summary with one INSERT…SELECT … GROUP BY (the card: its owner, the worker);
- reconcile: every site, in chunks of at most 31 days, one transaction per chunk
  (`jobs.reconcile.reconcile_range`), in a child process of its own, so that its peak RSS
  (ru_maxrss) is its own; the wall time of each SQL statement is summed over the chunks
  (the costliest are printed: where the time goes).

Prints times, peak RSS and the ratios reconcile / baseline (target: within 5×) and the RSS
of the small run against the large one (target: no growth with the number of events).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers_db.db import make_engine
from workers_db.migrate import upgrade

TOKYO = ZoneInfo("Asia/Tokyo")
SITES = 40
DAYS = 22
FIRST_DAY = date(2025, 6, 2)  # a Monday
STATEMENTS_SHOWN = 10  # the costliest statements of the reconciliation, summed over chunks
# The baseline's plain table (no key, no index) and its per-(card, site, day) summary.
PLAIN_TABLE = """CREATE TABLE bench_plain (
    external_id text, source text, site_id int, worker_id int, occurred_at timestamptz,
    work_date date, direction text, card_uid text, device text, clock_synced boolean,
    received_at timestamptz)"""
SUMMARY_TABLE = """CREATE TABLE bench_summary (
    worker_id int, site_id int, work_date date, first_at timestamptz, last_at timestamptz,
    events int)"""
COMPANY_COLUMNS = "id, name, ccus_business_id, sole_proprietor, active, created_at"
SITE_COLUMNS = (
    "id, name, site_code, prime_company_id, registered_in_ccus, answer_mode, model_works, "
    "reader_present, active, created_at"
)
WORKER_COLUMNS = (
    "id, company_id, name, ccus_worker_id, language, kentaikyo, card_level, active, created_at"
)
EVENT_COLUMNS = (
    "external_id, source, site_id, worker_id, occurred_at, work_date, direction, card_uid, "
    "device, clock_synced, received_at"
)


def working_days() -> list[date]:
    days, day = [], FIRST_DAY
    while len(days) < DAYS:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def events(total: int, workers_per_site: int, seed: int = 20250602) -> Iterator[tuple[object, ...]]:
    """Exactly `total` events, always the same for the same arguments."""
    rng = random.Random(seed)
    received = datetime(2025, 7, 1, tzinfo=UTC)
    n = 0
    per_worker_day = 2.15  # entry, exit (80 %), double reads (25 %), ...
    attendance = min(1.0, total / (per_worker_day * SITES * workers_per_site * DAYS))
    while True:
        for day in working_days():
            for site in range(SITES):
                for w in range(workers_per_site):
                    if rng.random() > attendance:
                        continue
                    worker = site * workers_per_site + w + 1
                    phone = rng.random() < 0.4
                    night = rng.random() < 0.03
                    start = datetime.combine(day, datetime.min.time(), tzinfo=TOKYO) + timedelta(
                        hours=20 if night else 7, minutes=rng.randrange(90)
                    )
                    stamps = [(start, "entry")]
                    if rng.random() < 0.25:
                        stamps.append((start + timedelta(seconds=rng.randrange(2, 300)), None))
                    if rng.random() < 0.8:
                        leave = start + timedelta(hours=9, minutes=rng.randrange(120))
                        stamps.append((leave, "exit"))
                    for at, direction in stamps:
                        if n == total:
                            return
                        n += 1
                        unknown = not phone and rng.random() < 0.002
                        yield (
                            f"b-{n}",
                            "phone" if phone else "nfc",
                            site + 1,
                            None if unknown else worker,
                            at,
                            at.astimezone(TOKYO).date(),
                            (direction if phone and direction else None),
                            None if phone else f"F:{worker:016X}",
                            None if phone else f"reader-{site + 1}",
                            True,
                            received,
                        )


def prepare(url: str, workers_per_site: int) -> None:
    """A fresh database with the schema, one prime, 200 subcontractors, sites and workers."""
    parsed = make_url(url)
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    now = datetime.now(UTC)
    companies = [(1, "元請建設", "10000000000001", False, True, now)] + [
        (c, f"協力会社{c}", f"{10**13 + c}" if c % 5 else None, c % 17 == 0, True, now)
        for c in range(2, 202)
    ]
    sites = [
        (s, f"現場{s}", f"{5000 + s}", 1, True, "confirm", s <= 4, s % 2 == 0, True, now)
        for s in range(1, SITES + 1)
    ]
    workers = (
        (
            w,
            2 + w % 200,
            f"作業員{w}",
            f"{2 * 10**13 + w}" if w % 4 else None,
            "ja",
            w % 2 == 0,
            1 + w % 4,
            True,
            now,
        )
        for w in range(1, SITES * workers_per_site + 1)
    )
    with psycopg.connect(_dsn(url)) as conn, conn.cursor() as cur:
        for table, columns, rows in (
            ("companies", COMPANY_COLUMNS, companies),
            ("sites", SITE_COLUMNS, sites),
            ("workers", WORKER_COLUMNS, workers),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ("companies", "sites", "workers"):
            cur.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        cur.execute(PLAIN_TABLE)
        cur.execute(SUMMARY_TABLE)
        cur.execute("CHECKPOINT")


def _admin_engine(url: str) -> Any:
    maintenance = make_url(url).set(database="postgres")
    # no statement timeout: DROP DATABASE … WITH (FORCE) may wait on a busy machine
    return create_engine(
        maintenance.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def timed_copy(url: str, table: str, columns: str, total: int, workers_per_site: int) -> float:
    with psycopg.connect(_dsn(url)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in events(total, workers_per_site):
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def generation_only(total: int, workers_per_site: int) -> float:
    started = time.perf_counter()
    for _ in events(total, workers_per_site):
        pass
    return time.perf_counter() - started


def baseline_summary(url: str) -> tuple[float, int]:
    with psycopg.connect(_dsn(url)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute(
            "INSERT INTO bench_summary SELECT worker_id, site_id, work_date, min(occurred_at), "
            "max(occurred_at), count(*) FROM bench_plain WHERE worker_id IS NOT NULL "
            "GROUP BY worker_id, site_id, work_date"
        )
        conn.commit()
        return time.perf_counter() - started, cur.rowcount


def statement_clock(engine: Any) -> dict[str, list[float]]:
    """Wall time and calls per SQL statement (keyed by its first words) as they run."""
    spent: dict[str, list[float]] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, *_: Any) -> None:
        conn.info["statement_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        entry = spent.setdefault(" ".join(statement.split())[:70], [0.0, 0])
        entry[0] += time.perf_counter() - conn.info["statement_started"]
        entry[1] += 1

    return spent


def child(url: str) -> None:
    """Reconcile everything; print seconds, records, this process's peak RSS and the time
    of the costliest statements."""
    from sqlalchemy.orm import sessionmaker

    from ivr_flows.days import DayRules
    from jobs.reconcile import reconcile_range
    from workers_db import settings as defaults

    engine = make_engine(url)
    spent = statement_clock(engine)
    started = time.perf_counter()
    days = working_days()
    results = reconcile_range(
        sessionmaker(engine),
        None,
        days[0],
        days[-1],
        rules=DayRules(
            defaults.DEFAULT_REPEAT_WINDOW_S,
            defaults.DEFAULT_EXIT_CONFIRM_S,
            defaults.DEFAULT_MAX_SHIFT_H * 3600,
            defaults.DEFAULT_SITE_HOP_S,
        ),
    )
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        records = conn.execute(text("SELECT count(*) FROM work_records")).scalar()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "records": records,
                "chunks": len(results),
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "statements_s": sum(t for t, _ in spent.values()),
                "costliest": sorted(
                    ([round(t, 2), n, key] for key, (t, n) in spent.items()), reverse=True
                )[:STATEMENTS_SHOWN],
            }
        )
    )


def run_size(url: str, total: int) -> dict[str, float]:
    workers_per_site = max(10, round(1100 * total / 1_000_000))
    prepare(url, workers_per_site)
    generate = generation_only(total, workers_per_site)
    ingest = timed_copy(url, "events", EVENT_COLUMNS, total, workers_per_site)
    plain = timed_copy(url, "bench_plain", EVENT_COLUMNS, total, workers_per_site)
    summary, summary_rows = baseline_summary(url)
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE events")
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    baseline = plain + summary
    result = {
        "events": total,
        "workers": SITES * workers_per_site,
        "generate_s": generate,
        "ingest_copy_s": ingest,
        "baseline_copy_s": plain,
        "baseline_summary_s": summary,
        "baseline_s": baseline,
        "baseline_rows": summary_rows,
        "reconcile_s": rec["seconds"],
        "records": rec["records"],
        "chunks": rec["chunks"],
        "reconcile_maxrss_mb": rec["maxrss_kb"] / 1024,
        "reconcile_in_statements_s": rec["statements_s"],
        "costliest_statements": rec["costliest"],
        "ratio_reconcile_vs_baseline": rec["seconds"] / baseline,
        "ratio_ingest_and_reconcile_vs_baseline": (ingest + rec["seconds"]) / baseline,
    }
    print(json.dumps(result, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch database of the last size (for EXPLAIN of its statements)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url)
        return
    small = run_size(args.database_url, args.small)
    large = run_size(args.database_url, args.events)
    print(
        f"\nreconcile {large['events']:,} events: {large['reconcile_s']:.1f} s "
        f"({large['records']:,} work records); baseline COPY + INSERT…SELECT "
        f"{large['baseline_s']:.1f} s → ratio {large['ratio_reconcile_vs_baseline']:.2f}× "
        f"(ingest COPY + reconcile: {large['ratio_ingest_and_reconcile_vs_baseline']:.2f}×)"
    )
    print(
        f"peak RSS of the reconciling process: {small['reconcile_maxrss_mb']:.0f} MB at "
        f"{small['events']:,} events, {large['reconcile_maxrss_mb']:.0f} MB at "
        f"{large['events']:,} → ×{large['reconcile_maxrss_mb'] / small['reconcile_maxrss_mb']:.2f}"
    )
    if args.keep:
        return
    admin = _admin_engine(args.database_url)
    with admin.connect() as conn:
        name = make_url(args.database_url).database
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
