"""Benchmark of the zero-key check-in webhook against two baselines: a static-TwiML Flask
endpoint and the durable minimum (bench/durable_minimum.py: signature checked, one INSERT … ON
CONFLICT DO NOTHING keyed by CallSid and COMMIT through psycopg, the same TwiML).

    .venv/bin/python bench/ivr_bench.py [--requests 3000] [--concurrency 8] [--seconds 30]
        [--rounds 5] [--workers 2] [--threads 4] [--port 18121]

All three run under gunicorn with the same settings (by default the Procfile's: 2 workers ×
4 threads, gthread) on 127.0.0.1 (`--port` for the app, the next two for the baselines),
started together and driven in turns: `--rounds` rounds, in each of which every server gets
`--requests`/rounds requests or `--seconds`/rounds, the order turning from round to round, so
that a machine whose speed drifts (a shared or virtual one) slows all three alike and the
ratios compare like with like (the ratio of each round is printed too).  The load
client: `--concurrency` threads with keep-alive connections, each request a signed
`POST /twilio/voice` of a different registered worker calling the site's number for the first
time (so every request records an entry: lookups, insert, call step, commit, reconcile
request to Redis).  Signatures are computed before the clock starts.  Each server's turn
stops after its requests or its seconds, whichever comes first.

Prints throughput and p50/p99 latency of each and the throughput ratios of the check-in to
each baseline (target ≥ 0.5 of the durable minimum, goal 0.8); then
p50/p99 of the check-in paced at half its measured throughput for `--seconds`/2 (the latency
of a deployment with 2× headroom: a closed loop at saturation measures mostly queueing); and
checks that every successful request's event is in the database.  It also prints the CPU
time per request of each process group (gunicorn, PostgreSQL, Redis, this client): on a machine
where all of them share the cores, that is what bounds the throughput.  The database
`genba_bench_ivr` on the local PostgreSQL is dropped and re-created (and kept afterwards for
`bench/ivr_phases.py`); Redis DB 13 receives the reconcile requests and is flushed afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from redis import Redis
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.models import Company, Event, Phone, Site, SiteCompany, Worker

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench_ivr"
REDIS_URL = "redis://127.0.0.1:6379/13"
TOKEN = "bench-twilio-token"
SITE_NUMBER = "+81355501001"
APP_PORT = 18121
BACKENDS = "PostgreSQL backends"  # cpu_seconds: the ones connected to the bench database
DURABLE_TABLE = "durable_minimum_calls"  # bench/durable_minimum.py's TABLE
WARMUP = 200
GUNICORN = [
    str(Path(sys.executable).parent / "gunicorn"),
    "--timeout", "30", "--log-level", "warning", "--keep-alive", "5",
]  # fmt: skip


def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(  # no statement timeout: DROP … WITH (FORCE) may wait
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def seed(url: str, workers: int) -> list[str]:
    """A prime, a subcontractor in the site's structure, and `workers` workers with phones."""
    engine = make_engine(url)
    upgrade(engine)
    phones = [f"+8190{10000000 + i:08d}" for i in range(workers)]
    with engine.begin() as conn:
        prime = conn.execute(insert(Company).values(name="元請").returning(Company.id)).scalar()
        sub = conn.execute(insert(Company).values(name="下請").returning(Company.id)).scalar()
        site = conn.execute(
            insert(Site)
            .values(name="ベンチ現場", site_code="1001", dial_in_number=SITE_NUMBER,
                    prime_company_id=prime)
            .returning(Site.id)
        ).scalar()  # fmt: skip
        conn.execute(
            insert(SiteCompany),
            [
                {
                    "site_id": site,
                    "company_id": prime,
                    "parent_company_id": None,
                    "tier": 0,
                    "source": "admin",
                },
                {
                    "site_id": site,
                    "company_id": sub,
                    "parent_company_id": prime,
                    "tier": 1,
                    "source": "admin",
                },
            ],
        )
        ids = conn.execute(
            insert(Worker).returning(Worker.id, sort_by_parameter_order=True),
            [{"name": f"作業員{i}", "name_kana": "タナカ イチロウ", "company_id": sub}
             for i in range(workers)],
        ).scalars().all()  # fmt: skip
        conn.execute(
            insert(Phone), [{"e164": p, "worker_id": w} for p, w in zip(phones, ids, strict=True)]
        )
    engine.dispose()
    return phones


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per request, by process group
    backends_ms: float = 0.0  # of PostgreSQL's: its backends connected to the bench database

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


@dataclass
class Server:
    """One of the three servers under gunicorn, with its signed requests (each a worker's
    first call, signed for the server's port) handed out in order across the rounds."""

    name: str
    port: int
    cwd: Path
    app: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    requests: list[tuple[bytes, str]] = field(default_factory=list)
    used: int = 0
    warm: Run = field(default_factory=lambda: Run("warm-up"))

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def take(self, count: int) -> list[tuple[bytes, str]]:
        taken = self.requests[self.used : self.used + count]
        self.used += len(taken)
        return taken


def merged(runs: list[Run]) -> Run:
    """The rounds of one server as one run: its requests, time and CPU added up."""
    total = Run(runs[0].name)
    count = sum(len(run.latencies) for run in runs)
    for run in runs:
        total.latencies += run.latencies
        total.seconds += run.seconds
        for status, n in run.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + n
        share = len(run.latencies) / max(1, count)  # CPU per request, weighted by requests
        for group, ms in run.cpu_ms.items():
            total.cpu_ms[group] = total.cpu_ms.get(group, 0.0) + ms * share
        total.backends_ms += run.backends_ms * share
    return total


def signed_requests(port: int, phones: list[str]) -> list[tuple[bytes, str]]:
    url = f"http://127.0.0.1:{port}/twilio/voice"
    validator = RequestValidator(TOKEN)
    prepared = []
    for i, phone in enumerate(phones):
        params = {
            "CallSid": f"CA{i:032x}", "AccountSid": "AC" + "0" * 32, "From": phone,
            "To": SITE_NUMBER, "CallStatus": "ringing", "Direction": "inbound",
        }  # fmt: skip
        prepared.append((urlencode(params).encode(), validator.compute_signature(url, params)))
    return prepared


def drive(
    name: str,
    port: int,
    requests: list[tuple[bytes, str]],
    threads: int,
    limit_s: float,
    rate: float | None = None,
) -> Run:
    """`threads` clients with keep-alive, until the requests or the time run out: as fast as
    the server answers (closed loop), or paced at `rate` requests per second in all."""
    run = Run(name)
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    deadline = time.monotonic() + limit_s
    interval = threads / rate if rate else 0.0

    def client(offset: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        due = time.monotonic() + offset
        while time.monotonic() < deadline:
            if interval:
                time.sleep(max(0.0, due - time.monotonic()))
                due += interval
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            body, signature = requests[index]
            started = time.perf_counter()
            conn.request("POST", "/twilio/voice", body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            })  # fmt: skip
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                run.latencies.append(elapsed)
                run.statuses[response.status] = run.statuses.get(response.status, 0) + 1
        conn.close()

    workers = [
        threading.Thread(target=client, args=(i * interval / threads,)) for i in range(threads)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    run.seconds = time.monotonic() - started
    return run


def cpu_seconds(server_pid: int, database: str) -> dict[tuple[str, int], float]:
    """CPU time (user + system) so far, by (group, pid): the server (gunicorn's master and
    workers), every PostgreSQL and Redis process on the machine, and this load client, from
    /proc.  The PostgreSQL and Redis figures include whatever else uses them meanwhile; the
    backends connected to `database` are also told apart (group `BACKENDS`)."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[tuple[str, int], float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        name = line[line.index("(") + 1 : line.rindex(")")]
        rest = line[line.rindex(")") + 2 :].split()
        pid, ppid, seconds = int(stat.parent.name), int(rest[1]), int(rest[11]) + int(rest[12])
        group = (
            "app" if server_pid in (pid, ppid)
            else "PostgreSQL" if name == "postgres"
            else "Redis" if name.startswith("redis-server")
            else None
        )  # fmt: skip
        if group == "PostgreSQL" and f" {database} ".encode() in command:
            group = BACKENDS  # "postgres: user database host(port) state"
        if group is not None:
            used[(group, pid)] = seconds / tick
    own = os.times()
    used[("client", os.getpid())] = own.user + own.system
    return used


def measured(server_pid: int, database: str, run: Callable[[], Run]) -> Run:
    """`run()`, with the CPU milliseconds per request it cost each process group (a process
    that ended during the run is not counted: PostgreSQL's figure is then a little low)."""
    before = cpu_seconds(server_pid, database)
    result = run()
    after = cpu_seconds(server_pid, database)
    count = max(1, len(result.latencies))
    result.cpu_ms = dict.fromkeys(("app", "PostgreSQL", "Redis", "client"), 0.0)
    for (group, pid), seconds in after.items():
        spent = (seconds - before.get((group, pid), 0.0)) * 1000 / count
        if group == BACKENDS:
            result.backends_ms += spent
            group = "PostgreSQL"
        result.cpu_ms[group] += spent
    return result


def start(
    app: str, port: int, env: dict[str, str], cwd: Path, workers: int = 2, threads: int = 4
) -> subprocess.Popen[bytes]:
    server = [*GUNICORN, "--workers", str(workers), "--threads", str(threads)]
    process = subprocess.Popen([*server, "--bind", f"127.0.0.1:{port}", app], cwd=cwd, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not start on port {port}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0, help="each server's, in all")
    parser.add_argument("--rounds", type=int, default=5,
                        help="the servers take turns, this many times each")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's, for both")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn's, for both")
    parser.add_argument("--port", type=int, default=APP_PORT, help="the app's; baselines +1, +2")
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and re-created")
    parser.add_argument("--redis-url", default=REDIS_URL, help="flushed afterwards")
    args = parser.parse_args()
    if args.rounds < 1 or args.requests < args.rounds:
        parser.error("--rounds: at least 1, and no more than --requests")
    database_url, redis_url = args.database_url, args.redis_url
    database = str(make_url(database_url).database)
    app_port, baseline_port, durable_port = args.port, args.port + 1, args.port + 2

    recreate_database(database_url)
    phones = seed(database_url, WARMUP + 2 * args.requests)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {DURABLE_TABLE} "
                          "(call_sid text PRIMARY KEY, caller text, dialled text)"))  # fmt: skip
    engine.dispose()
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    instance = tempfile.mkdtemp(prefix="ivr-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "GENBA_INSTANCE": instance,
        "GENBA_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    app_env = {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{app_port}"}
    servers = [
        Server("static TwiML (baseline)", baseline_port, ROOT / "bench", "static_twiml:app", env),
        Server("durable minimum (baseline)", durable_port, ROOT / "bench",
               "durable_minimum:app", env),
        Server("zero-key check-in", app_port, ROOT, "voice_app:create_app()", app_env),
    ]  # fmt: skip
    try:
        for server in servers:
            server.process = start(server.app, server.port, server.env, server.cwd,
                                   args.workers, args.threads)  # fmt: skip
            server.requests = signed_requests(server.port, phones)
            server.warm = drive("warm-up", server.port, server.take(WARMUP),
                                args.concurrency, 30)  # fmt: skip
        rounds: list[list[Run]] = []

        def turn_of(server: Server) -> Run:
            share = args.requests // args.rounds
            return measured(server.pid, database, lambda: drive(
                server.name, server.port, server.take(share), args.concurrency,
                args.seconds / args.rounds))  # fmt: skip

        for number in range(args.rounds):
            # The order turns each round: none of the three always runs first or last.
            turn = servers[number % 3 :] + servers[: number % 3]
            timed = {server.name: turn_of(server) for server in turn}
            rounds.append([timed[server.name] for server in servers])
        runs = [merged([one[i] for one in rounds]) for i in range(3)]
        app = servers[2]
        half = runs[2].throughput / 2
        runs.append(drive("check-in paced at half", app.port, app.take(len(app.requests)),
                          args.concurrency, args.seconds / 2, rate=half))  # fmt: skip
    finally:
        for server in servers:
            if server.process is not None:
                stop(server.process)
    warm = servers[2].warm

    engine = make_engine(database_url)
    with engine.connect() as conn:
        recorded = conn.scalar(select(func.count()).select_from(Event).where(
            Event.direction == "entry", Event.worker_id.is_not(None)))  # fmt: skip
    engine.dispose()
    redis.flushdb()
    shutil.rmtree(instance, ignore_errors=True)

    print(f"gunicorn {args.workers} workers × {args.threads} threads (gthread), "
          f"{args.concurrency} concurrent clients, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'':28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for run in runs:
        print(f"{run.name:28}{len(run.latencies):>9}{run.throughput:>9.0f}"
              f"{run.percentile(50):>9.1f}{run.percentile(99):>9.1f}  {run.statuses}")  # fmt: skip
    print(
        "CPU ms per request (app = gunicorn; PostgreSQL and Redis: every process of theirs, "
        "PostgreSQL's connections to the bench database in brackets):"
    )
    for run in runs[:3]:
        shares = [f"{k} {v:.2f}" for k, v in run.cpu_ms.items()]
        shares[1] += f" ({run.backends_ms:.2f})"  # PostgreSQL: its connections to the database
        print(f"  {run.name:26}{sum(run.cpu_ms.values()):6.2f} = {', '.join(shares)}")
    base, minimum, check_in, paced = runs
    expected = warm.ok + check_in.ok + paced.ok
    print(f"throughput ratio durable minimum / static: {minimum.throughput / base.throughput:.2f}")
    print(f"throughput ratio check-in / static: {check_in.throughput / base.throughput:.2f}")
    print(f"throughput ratio check-in / durable minimum: "
          f"{check_in.throughput / minimum.throughput:.2f} (target ≥ 0.5, goal 0.8)")  # fmt: skip
    each = sorted(one[2].throughput / one[1].throughput for one in rounds)
    print(f"  in each of the {len(each)} rounds: {', '.join(f'{r:.2f}' for r in each)} "
          f"(median {statistics.median(each):.2f})")  # fmt: skip
    cpu = sum(minimum.cpu_ms.values()) / sum(check_in.cpu_ms.values())
    print(f"CPU ratio durable minimum / check-in (all process groups): {cpu:.2f}")
    print(f"p99 of the check-in: {check_in.percentile(99):.1f} ms at saturation, "
          f"{paced.percentile(99):.1f} ms paced at half of it (target < 50 ms)")  # fmt: skip
    print(f"events in the database: {recorded} of {expected} successful requests")
    if recorded != expected:
        raise SystemExit("FAIL: a successful request's event is missing (or extra)")


if __name__ == "__main__":
    main()
