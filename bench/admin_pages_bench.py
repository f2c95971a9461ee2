"""Benchmark of the admin pages on a 100,000-worker site, against a baseline in the same run.

    python bench/admin_pages_bench.py [--workers 100000] [--exceptions 1000]
        [--database-url URL] [--redis-url URL] [--runs 5]

Creates a scratch database (dropped first), migrates it and seeds it with COPY: one prime and
500 subcontractors in one site's 施工体制, `--workers` workers spread over them (each with a
phone, 80 % with a 技能者ID), today's entries of 2 % of them, and `--exceptions` open
exceptions (60 % unknown callers with their calls, 40 % unknown cards with their touches).
Then a site admin of that site signs in through the login form and each page is fetched
in-process (Flask's test client: no network) `--runs` times after one warm-up; the table gives
the median time, the bytes sent, and the ratio to the baseline `GET /healthz` of the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.registration import hash_secret

TOKYO = ZoneInfo("Asia/Tokyo")
SUBCONTRACTORS = 500
SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
]
SURNAME_KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
    "ヨシダ",
    "ヤマダ",
    "ササキ",
    "ヤマグチ",
    "マツモト",
    "イノウエ",
    "キムラ",
    "ハヤシ",
    "サイトウ",
    "シミズ",
]
GIVEN = ["健太", "翔", "大輔", "拓也", "直樹", "誠", "浩二", "達也", "隆", "優"]
GIVEN_KANA = [
    "ケンタ",
    "ショウ",
    "ダイスケ",
    "タクヤ",
    "ナオキ",
    "マコト",
    "コウジ",
    "タツヤ",
    "タカシ",
    "ユウ",
]
EMAIL = "bench-site@example.jp"
PASSWORD = "bench password 1"


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def recreate(url: str) -> None:
    """Drop and create the scratch database (without the web's statement timeout), migrate."""
    name = make_url(url).database
    with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[Sequence[Any]]
) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(url: str, workers: int, exceptions: int) -> int:
    """Seed the scratch database; returns the site's id."""
    now = datetime.now(UTC)
    today = now.astimezone(TOKYO).date()
    morning = datetime.combine(today, day_time(7, 30), TOKYO).astimezone(UTC)
    with psycopg.connect(_libpq(url)) as conn:
        _copy(
            conn,
            "companies",
            "id, name, name_kana, sole_proprietor, active, created_at",
            [
                (
                    c,
                    "元請ベンチ建設" if c == 1 else f"協力ベンチ工業{c:04d}",
                    "モトウケベンチケンセツ" if c == 1 else f"キョウリョクベンチコウギョウ{c:04d}",
                    False,
                    True,
                    now,
                )
                for c in range(1, SUBCONTRACTORS + 2)
            ],
        )
        _copy(
            conn,
            "sites",
            "id, name, site_code, prime_company_id, answer_mode, registered_in_ccus, "
            "model_works, reader_present, active, created_at",
            [(1, "ベンチ現場新築工事", "4321", 1, "confirm", False, False, False, True, now)],
        )
        _copy(
            conn,
            "site_companies",
            "site_id, company_id, parent_company_id, tier, source, confirmed, created_at",
            [(1, 1, None, 0, "admin", True, now)]
            + [(1, c, 1, 1, "admin", True, now) for c in range(2, SUBCONTRACTORS + 2)],
        )

        def worker_rows() -> Iterable[Sequence[Any]]:
            for w in range(1, workers + 1):
                s, g = w % len(SURNAMES), (w // len(SURNAMES)) % len(GIVEN)
                yield (
                    w,
                    2 + w % SUBCONTRACTORS,
                    f"{SURNAMES[s]} {GIVEN[g]}{w}",
                    f"{SURNAME_KANA[s]} {GIVEN_KANA[g]}",
                    f"9{w:013d}" if w % 5 else None,
                    "ja",
                    False,
                    True,
                    now,
                )

        _copy(
            conn,
            "workers",
            "id, company_id, name, name_kana, ccus_worker_id, language, kentaikyo, "
            "active, created_at",
            worker_rows(),
        )
        _copy(
            conn,
            "phones",
            "id, e164, worker_id, created_at",
            ((w, f"+8190{w:08d}", w, now) for w in range(1, workers + 1)),
        )
        present = range(1, workers + 1, 50)
        events: list[Sequence[Any]] = [
            (
                i,
                f"bench:in:{w}",
                "phone",
                1,
                w,
                morning + timedelta(seconds=i),
                today,
                "entry",
                f"+8190{w:08d}",
                True,
                now,
            )
            for i, w in enumerate(present, start=1)
        ]
        exception_rows: list[Sequence[Any]] = []
        for n in range(exceptions):
            event_id = len(present) + n + 1
            at = morning + timedelta(seconds=n)
            if n % 5 < 3:
                caller = f"+8180{n:08d}"
                events.append(
                    (
                        event_id,
                        f"bench:unknown:{n}",
                        "phone",
                        1,
                        None,
                        at,
                        today,
                        None,
                        caller,
                        True,
                        now,
                    )
                )
                kind, detail = "unknown_caller", f'{{"caller_e164": "{caller}"}}'
            else:
                card = f"F:{n:016X}"
                events.append(
                    (event_id, f"nfc:bench-{n}", "nfc", 1, None, at, today, None, None, True, now)
                )
                kind, detail = "unknown_card", f'{{"card_uid": "{card}", "raw_card_uid": "{card}"}}'
            exception_rows.append(
                (n + 1, kind, f"bench:{kind}:{n}", 1, event_id, today, detail, "open", at)
            )
        _copy(
            conn,
            "events",
            "id, external_id, source, site_id, worker_id, occurred_at, work_date, "
            "direction, caller_e164, clock_synced, received_at",
            events,
        )
        conn.execute(
            "UPDATE events SET card_uid = 'F:' || lpad(to_hex(substr(external_id, 11)::int), "
            "16, '0') WHERE external_id LIKE 'nfc:bench-%'"
        )
        _copy(
            conn,
            "exceptions",
            "id, kind, dedupe_key, site_id, event_id, work_date, detail, status, created_at",
            exception_rows,
        )
        _copy(
            conn,
            "admin_users",
            "email, password_hash, role, site_id, language, active, created_at",
            [(EMAIL, hash_secret(PASSWORD), "site_admin", 1, "ja", True, now)],
        )
        for table in (
            "companies",
            "sites",
            "site_companies",
            "workers",
            "phones",
            "events",
            "exceptions",
            "admin_users",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("ANALYZE")
    return 1


def _timed(fetch: Callable[[], Any], runs: int) -> tuple[float, int, int]:
    """Median ms over `runs` after a warm-up, bytes and status of the last answer."""
    fetch()
    times, answer = [], None
    for _ in range(runs):
        start = time.perf_counter()
        answer = fetch()
        times.append((time.perf_counter() - start) * 1000)
    assert answer is not None
    return statistics.median(times), len(answer.data), answer.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--exceptions", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench_admin"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument(
        "--skip", default="", help="comma-separated page names to leave out (e.g. exceptions)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    recreate(args.database_url)
    site_id = seed(args.database_url, args.workers, args.exceptions)
    print(
        f"seeded {args.workers:,} workers and {args.exceptions:,} open exceptions "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    os.environ.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    os.environ.setdefault("GENBA_SECRET_KEY", "bench-secret")
    from voice_app import create_app

    app = create_app()
    client = app.test_client()
    login_page = client.get("/admin/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert match, "no CSRF token on the login page"
    answer = client.post(
        "/admin/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": match.group(1)},
    )
    assert answer.status_code == 302, answer.status_code
    csrf = client.get("/admin/sites").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', csrf)
    headers = {"X-CSRF-Token": token.group(1) if token else ""}

    pages: list[tuple[str, Callable[[], Any]]] = [
        ("GET /healthz (baseline)", lambda: client.get("/healthz")),
        ("board", lambda: client.get(f"/admin/sites/{site_id}/board")),
        ("exceptions", lambda: client.get(f"/admin/exceptions?site_id={site_id}")),
        ("workers", lambda: client.get("/admin/workers")),
        ("workers ?q=サトウ", lambda: client.get("/admin/workers?q=サトウ")),
        ("phones", lambda: client.get("/admin/phones")),
        ("phones ?q=090…", lambda: client.get("/admin/phones?q=09000004321")),
        (
            "worker picker さとう",
            lambda: client.post(
                "/admin/workers/pick", data={"q": "さとう", "site_id": site_id}, headers=headers
            ),
        ),
    ]
    print(f"{'page':28} {'status':>6} {'median ms':>10} {'× baseline':>11} {'bytes':>11}")
    baseline = 0.0
    skipped = {name.strip() for name in args.skip.split(",") if name.strip()}
    for name, fetch in pages:
        if name in skipped:
            continue
        ms, size, status = _timed(fetch, args.runs)
        baseline = baseline or ms
        print(f"{name:28} {status:>6} {ms:>10.1f} {ms / baseline:>11.0f} {size:>11,}", flush=True)


if __name__ == "__main__":
    main()
