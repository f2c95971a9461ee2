"""Touch ingest through the served API with four uploaders, against a plain insert baseline.

    .venv/bin/python bench/ingest_bench.py [--events 100000] [--uploaders 4] [--port 20040]
        [--database-url URL] [--redis-url URL]

The app runs under gunicorn as in production (the Procfile's 2 workers × 4 threads); each of
`--uploaders` threads POSTs its share of the events to `/api/v1/touches` in batches of 500
over a keep-alive connection, as reader agents do, and checks that every event is accepted.
Baselines, in the same run, the same number of threads each inserting the same rows into
`events` with a commit per batch of 500 (no JSON, no validation, no idempotency):

- `baseline`: psycopg's executemany, no worker (no card look-up);
- `multi-row`: one `INSERT … SELECT FROM unnest(arrays)` per batch (arrays in binary), with
  each row's worker (looked up before the clock starts) — the cheapest form of the same
  writes, so the ceiling of the ingest path on this machine.

Prints events/s of each, the ratios, and the CPU time per event of each run by process (from
/proc): the gunicorn workers (the API's run only), the PostgreSQL backends connected to the
bench database, PostgreSQL's other processes (WAL writer, checkpointer, autovacuum: and other
databases' backends, if anything else runs), Redis, this process (the uploaders, or the baselines'
clients) and the whole machine (docs/nfc.md).  The database is dropped and re-created; the
Redis db is flushed before and after.  Each of the three runs starts from the same state:
`events` (and `exceptions`) emptied and a CHECKPOINT (`fresh`); without it the API's run, which
goes first, inserted into an empty table and the baselines into one 40k and 80k rows fuller.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ivr_bench import BACKENDS, ROOT, cpu_seconds, recreate_database, start, stop
from nfc_bench import BATCH, events, seed

from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.models import Card, Event

MULTI_ROW = (
    "INSERT INTO events (external_id, source, site_id, worker_id, occurred_at, work_date, "
    "card_uid, device, seq, clock_synced, received_at) "
    "SELECT e, 'nfc', %(site)s, w, o, d, u, 'bench', s, true, now() FROM unnest(%(e)b::varchar[], "
    "%(w)b::int[], %(o)b::timestamptz[], %(d)b::date[], %(u)b::varchar[], %(s)b::bigint[]"
    ") AS t(e, w, o, d, u, s)"
)


def in_threads(count: int, work: Any, shares: list[Any]) -> float:
    """Run `work(share)` in one thread per share; events per second over all of them."""
    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


def fresh(engine: Engine) -> None:
    """Empty `events` and what refers to it, and CHECKPOINT, before a run (module docstring)."""
    with engine.connect() as conn:
        conn.execute(text("TRUNCATE events, exceptions"))
        conn.commit()
        conn.execute(text("CHECKPOINT"))


TICK = os.sysconf("SC_CLK_TCK")
GROUPS = ("app", BACKENDS, "PostgreSQL", "Redis", "client", "machine")
WIDTHS = (10, 13, 10, 7, 14, 9)  # of the printed columns


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores, everyone's: /proc/stat)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # all but idle and iowait


def measured(
    count: int, server_pid: int, database: str, run: Any
) -> tuple[float, dict[str, float]]:
    """`run()`'s events/s and the CPU µs per event it cost each group of `GROUPS` (a process
    that ended during the run is not counted)."""
    before, busy = cpu_seconds(server_pid, database), machine_busy()
    rate = run()
    after, busy = cpu_seconds(server_pid, database), machine_busy() - busy
    spent = dict.fromkeys(GROUPS, 0.0)
    for (group, pid), seconds in after.items():
        spent[group] += (seconds - before.get((group, pid), 0.0)) / count * 1e6
    spent["machine"] = busy / count * 1e6
    return rate, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--uploaders", type=int, default=4)
    parser.add_argument("--port", type=int, default=20040)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench_ingest"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    database = make_url(args.database_url).database or ""
    recreate_database(args.database_url)
    engine = make_engine(args.database_url)
    upgrade(engine)
    site_id, token = seed(engine)
    Redis.from_url(args.redis_url).flushdb()
    start_at = datetime(2025, 4, 1, tzinfo=UTC)
    batches = [events(BATCH, start_at + timedelta(hours=i)) for i in range(args.events // BATCH)]
    count = len(batches) * BATCH
    shares = [batches[i :: args.uploaders] for i in range(args.uploaders)]
    instance = tempfile.mkdtemp(prefix="ingest-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "TWILIO_AUTH_TOKEN": "bench",
        "GENBA_INSTANCE": instance,
        "GENBA_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    refused: list[int] = []

    def upload(share: list[list[dict[str, Any]]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        for batch in share:
            conn.request("POST", "/api/v1/touches", json.dumps({"events": batch}), {
                "Content-Type": "application/json", "Authorization": f"Bearer {token}",
            })  # fmt: skip
            answer = json.loads(conn.getresponse().read())
            if answer.get("accepted") != BATCH:
                refused.append(BATCH - int(answer.get("accepted", 0)))
        conn.close()

    server = start("voice_app:create_app()", args.port, env, ROOT)
    fresh(engine)
    try:
        ours, ours_cpu = measured(
            count, server.pid, database, lambda: in_threads(count, upload, shares)
        )
    finally:
        stop(server)
        shutil.rmtree(instance, ignore_errors=True)

    def plain(share: list[list[dict[str, Any]]]) -> None:
        with engine.connect() as conn:
            for batch in share:
                conn.execute(insert(Event), [
                    {"external_id": f"plain:{uuid.uuid4()}", "source": "nfc", "site_id": site_id,
                     "worker_id": None, "occurred_at": datetime.fromisoformat(e["occurred_at"]),
                     "work_date": datetime.fromisoformat(e["occurred_at"]).date(),
                     "card_uid": e["card_uid"], "device": "bench", "seq": e["seq"],
                     "clock_synced": True, "received_at": datetime.now(UTC)}
                    for e in batch
                ])  # fmt: skip
                conn.commit()

    fresh(engine)
    baseline, baseline_cpu = measured(count, -1, database, lambda: in_threads(count, plain, shares))
    with engine.connect() as conn:
        owner = {uid: worker for uid, worker in conn.execute(select(Card.uid, Card.worker_id))}

    def multi_row(share: list[list[dict[str, Any]]]) -> None:
        conn = engine.raw_connection()
        cursor = conn.cursor()
        for batch in share:
            moments = [datetime.fromisoformat(e["occurred_at"]) for e in batch]
            cursor.execute(MULTI_ROW, {
                "site": site_id, "e": [f"multi:{uuid.uuid4()}" for _ in batch],
                "w": [owner.get(e["card_uid"]) for e in batch], "o": moments,
                "d": [m.date() for m in moments], "u": [e["card_uid"] for e in batch],
                "s": [e["seq"] for e in batch],
            })  # fmt: skip
            conn.commit()
        conn.close()

    fresh(engine)
    ceiling, ceiling_cpu = measured(
        count, -1, database, lambda: in_threads(count, multi_row, shares)
    )
    engine.dispose()
    Redis.from_url(args.redis_url).flushdb()
    print(f"{args.uploaders} uploaders, batches of {BATCH}, {count} events, {os.cpu_count()} CPUs")
    print(f"ingest   {ours:10,.0f} events/s through POST /api/v1/touches (gunicorn 2 × 4)")
    print(f"baseline {baseline:10,.0f} events/s plain executemany INSERT + commit per batch")
    print(f"multi-row{ceiling:10,.0f} events/s one INSERT … SELECT FROM unnest + commit per batch")
    print(f"ratio    {ours / baseline:10.2f}   to executemany (target: 30,000 events/s)")
    print(f"ratio    {ours / ceiling:10.2f}   to the multi-row insert")
    print("CPU µs per event   gunicorn  PG backends  PG other  Redis  this process  machine")
    for name, cpu in (("ingest", ours_cpu), ("baseline", baseline_cpu), ("multi-row", ceiling_cpu)):
        figures = (f"{cpu[g]:{w}.1f}" for g, w in zip(GROUPS, WIDTHS, strict=True))
        print(f"{name:16s}{''.join(figures)}")
    print("(machine: every process, anyone's; PG other: WAL writer, checkpointer, autovacuum, …)")
    if refused:
        raise SystemExit(f"FAIL: {sum(refused)} events not accepted")


if __name__ == "__main__":
    main()
