"""NFC fallback benchmark: each figure against a baseline measured in the same run.

    python bench/nfc_bench.py [--touches 3000] [--events 20000] [--database-url URL]

1. journal   touches journaled per second by the agent's `Journal.append` (one committed,
             fsynced transaction per touch: WAL + synchronous=FULL) — baseline: raw sqlite3
             INSERTs of the same columns, one transaction each, same pragmas.
2. upload    touches uploaded per second by the agent's `Uploader` (read the journal, POST
             batches of 500 to the app served on a local port, mark acknowledged) — baseline:
             the same number of prebuilt events POSTed in batches of 500 with no journal.
3. ingest    events per second through `POST /api/v1/touches` (validation, card look-up,
             idempotent insert, commit) in batches of 500 on PostgreSQL, in-process — baseline:
             a plain INSERT of the same rows with executemany and a commit per batch.

The database (default `genba_bench` on the local PostgreSQL) is dropped and re-created;
Redis DB 14 receives the reconcile requests and is flushed afterwards.
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nfc_fallback.clock import ClockProbe
from nfc_fallback.console import Console
from nfc_fallback.journal import Journal
from nfc_fallback.touch import Touch
from nfc_fallback.uploader import Backoff, TouchClient, Uploader, UploaderOptions
from voice_app import create_app
from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.models import ApiToken, Event
from workers_db.registration import (
    create_company,
    create_site,
    create_worker,
    hash_token,
    new_token,
)
from workers_db.settings import Settings

BATCH = 500
CARDS = 300
REDIS_URL = "redis://127.0.0.1:6379/14"


def rate(count: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def report(name: str, unit: str, ours: float, baseline: float) -> None:
    print(
        f"{name:8} {ours:10,.0f} {unit}   baseline {baseline:10,.0f} {unit}   "
        f"ratio {ours / baseline:5.2f}"
    )


def card(n: int) -> str:
    return f"F:{n % CARDS:016X}"


# ---------------------------------------------------------------- 1. journal


def bench_journal(folder: Path, count: int, rounds: int = 3) -> None:
    """Alternating rounds (fsync timing is noisy on a shared machine); the median of each."""
    touches = [Touch("F", card(n), time.time_ns(), time.monotonic_ns()) for n in range(count)]
    journal = Journal(folder / "journal.sqlite3")
    raw = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute(
        "CREATE TABLE touches (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT UNIQUE, "
        "device_id TEXT, technology TEXT, card_uid TEXT, wall_ns INTEGER, boottime_ns INTEGER, "
        "boot_id TEXT, clock_synced INTEGER)"
    )

    def raw_inserts() -> None:
        for t in touches:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(
                "INSERT INTO touches (event_id, device_id, technology, card_uid, wall_ns, "
                "boottime_ns, boot_id, clock_synced) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()),
                    "d",
                    t.technology,
                    t.card_uid,
                    t.wall_ns,
                    t.boottime_ns,
                    "boot",
                    1,
                ),
            )
            raw.execute("COMMIT")

    ours, baseline = [], []
    for _ in range(rounds):
        ours.append(rate(count, lambda: [journal.append(t, "boot", True) for t in touches]))
        baseline.append(rate(count, raw_inserts))
    journal.close()
    raw.close()
    report("journal", "touches/s", statistics.median(ours), statistics.median(baseline))


# ---------------------------------------------------------------- server set-up


def recreate_database(url: str) -> Engine:
    parsed = make_url(url)
    admin = create_engine(  # no statement timeout: DROP … WITH (FORCE) may wait
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    return engine


def seed(engine: Engine) -> tuple[int, str]:
    """A site with CARDS registered cards and a device token; returns (site id, token)."""
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        prime = create_company(session, "元請建設")
        sub = create_company(session, "協力工業")
        site = create_site(session, "ベンチ現場", "9001", prime.id)
        for n in range(CARDS):
            create_worker(session, f"作業員{n}", sub.id, card_uids=[card(n)])
        token = new_token()
        session.add(
            ApiToken(
                token_hash=hash_token(token),
                role="device",
                name="bench",
                device_name="bench",
                site_id=site.id,
            )
        )
        session.commit()
        return site.id, token


def events(count: int, start: datetime) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "card_uid": card(n),
            "occurred_at": (start + timedelta(seconds=n)).isoformat(),
            "seq": n + 1,
            "clock_synced": True,
        }
        for n in range(count)
    ]


# ---------------------------------------------------------------- 2. upload


def bench_upload(folder: Path, app: Any, token: str, count: int) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)  # a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        TouchClient(url, token).post([])  # warm the server (pool, caches) before either run
        journal = Journal(folder / "upload.sqlite3")
        for n in range(count):
            journal.append(Touch("F", card(n), time.time_ns(), time.monotonic_ns()), "b", True)
        uploader = Uploader(
            journal,
            TouchClient(url, token),
            Console(io.StringIO()),
            ClockProbe(override=True),
            "b",
            backoff=Backoff(0.1, 1),
            options=UploaderOptions(batch_size=BATCH),
        )
        ours = rate(count, uploader.drain)
        assert journal.backlog().count == 0, "upload did not finish"
        journal.close()

        bodies = [
            json.dumps({"events": events(BATCH, datetime.now(UTC))}).encode()
            for _ in range(count // BATCH)
        ]

        def post_all() -> None:
            for body in bodies:
                request = urllib.request.Request(
                    f"{url}/api/v1/touches",
                    data=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    method="POST",
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    assert json.load(response)["accepted"] == BATCH

        baseline = rate(len(bodies) * BATCH, post_all)
    finally:
        server.shutdown()
        server.server_close()
    report("upload", "touches/s", ours, baseline)


# ---------------------------------------------------------------- 3. ingest


def bench_ingest(engine: Engine, app: Any, site_id: int, token: str, count: int) -> None:
    client = app.test_client()
    batches = [events(BATCH, datetime(2025, 4, 1, tzinfo=UTC)) for _ in range(count // BATCH)]

    def post_all() -> None:
        for batch in batches:
            answer = client.post(
                "/api/v1/touches",
                json={"events": batch},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.get_json()["accepted"] == BATCH

    ours = rate(len(batches) * BATCH, post_all)

    rows = [
        [
            {
                "external_id": f"plain:{uuid.uuid4()}",
                "source": "nfc",
                "site_id": site_id,
                "worker_id": None,
                "occurred_at": datetime.fromisoformat(e["occurred_at"]),
                "work_date": datetime.fromisoformat(e["occurred_at"]).date(),
                "card_uid": e["card_uid"],
                "device": "bench",
                "seq": e["seq"],
                "clock_synced": True,
                "received_at": datetime.now(UTC),
            }
            for e in batch
        ]
        for batch in batches
    ]

    def plain_inserts() -> None:
        for batch_rows in rows:
            with engine.begin() as conn:
                conn.execute(insert(Event), batch_rows)

    baseline = rate(len(rows) * BATCH, plain_inserts)
    report("ingest", "events/s", ours, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--touches", type=int, default=2000, help="touches for 1 and 2")
    parser.add_argument("--events", type=int, default=20000, help="events for 3")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench"
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help="flushed before and after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_journal(folder, args.touches)
        engine = recreate_database(args.database_url)
        site_id, token = seed(engine)
        redis = Redis.from_url(args.redis_url)
        redis.flushdb()
        settings = Settings(
            instance_path=folder / "instance",
            database_url=args.database_url,
            redis_url=args.redis_url,
            twilio_auth_token=None,
            public_base_url=None,
            secret_key="bench",
        )
        app = create_app({"GENBA_SETTINGS": settings})
        try:
            bench_upload(folder, app, token, args.touches)
            bench_ingest(engine, app, site_id, token, args.events)
        finally:
            redis.flushdb()
            engine.dispose()


if __name__ == "__main__":
    main()
