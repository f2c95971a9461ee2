"""What one PostgreSQL round trip and each statement of the zero-key check-in cost, in this
process and in its PostgreSQL backend, against `SELECT 1` in autocommit in the same run.

    python bench/pg_round_trips.py [--calls 4000] [--rounds 5] [--database-url …]

Run after `bench/ivr_bench.py` with the same `--database-url` (its seeded site, workers and
phones, and the durable minimum's table).  Each case runs on a psycopg connection of its own,
without SQLAlchemy or Flask; the cases take turns, `--rounds` times each, so that all of them
see the same machine.  A case "in autocommit" runs its statement with psycopg's autocommit on;
the others begin and commit as the app does (psycopg's BEGIN, then `commit()`).  CPU is the
process's (user + system: the client side of a round trip, psycopg and the kernel) and the
backend's (from /proc, so PostgreSQL on this host).  The rows the cases insert are deleted
afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from workers_db.callers import _LOCKED_SITE_AND_CALLERS as LOOK_UP
from workers_db.decisions import DecisionBasis
from workers_db.intake import _EVENT_AND_STEP as EVENT_AND_STEP
from workers_db.intake import _EVENT_AND_STEP_IF_UNCHANGED as CHECKED_WRITE
from workers_db.intake import _UNSET as UNSET_EVENT_COLUMNS

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench_ivr"  # ivr_bench's
SITE_NUMBER = "+81355501001"  # ivr_bench's
DURABLE_INSERT = "INSERT INTO durable_minimum_calls VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
MARK = "bench-rt"  # the inserted rows' ids start with it
ANSWER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="ja-JP">'
    "ヤマダ タロウさん、入場を記録しました。9時2分です。</Say><Hangup/></Response>"
)


def cpu_of(pid: int) -> float:
    """Seconds of CPU (user + system) of process `pid`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Case:
    """One way of talking to PostgreSQL, on a connection of its own."""

    def __init__(self, label: str, conninfo: str, run: Callable[[Any, int], None]) -> None:
        """`run` commits what it starts: a transaction is begun by psycopg, as the app's are
        (its BEGIN sent before the first statement), and ended by `commit()`."""
        self.label, self.run = label, run
        self.conn = psycopg.connect(conninfo)
        for function in (LOOK_UP, CHECKED_WRITE):  # the app's functions, as it makes them
            self.conn.execute(function.create_sql)
        self.conn.commit()
        self.backend = self.conn.info.backend_pid
        self.app_s = self.backend_s = 0.0
        self.calls = 0

    def measure(self, numbers: range) -> None:
        app, backend = time.process_time(), cpu_of(self.backend)
        for i in numbers:
            self.run(self.conn, i)
        self.app_s += time.process_time() - app
        self.backend_s += cpu_of(self.backend) - backend
        self.calls += len(numbers)


def look_up_params(i: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"e164": f"+8190{10000000 + i % 5000:08d}", "number": SITE_NUMBER,
            "since": now - timedelta(hours=30), "until": now + timedelta(minutes=5)}  # fmt: skip


def event_and_step_params(i: int, label: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    sid = f"{MARK}-{label}-{i}"
    event = {"external_id": sid, "source": "phone", "site_id": 1, "worker_id": 1 + i % 5000,
             "occurred_at": now, "work_date": now.date(), "direction": "entry",
             "caller_e164": "+819012345678", "device": "twilio", "clock_synced": True,
             "received_at": now}  # fmt: skip
    step = {"call_sid": sid, "step": "voice", "response_xml": ANSWER,
            "state": '{"phase": "done"}', "created_at": now}  # fmt: skip
    return {**EVENT_AND_STEP.fixed, **UNSET_EVENT_COLUMNS, **event, **step}


def basis_params(i: int) -> dict[str, Any]:
    """What the check-in's look-up read, for the checked write: a window that starts now, so
    that the events of earlier calls of the same worker are not in it."""
    now = datetime.now(UTC)
    return DecisionBasis(1, (1 + i % 5000,), now, now + timedelta(minutes=5), ()).params()


def cases(conninfo: str) -> list[Case]:
    def autocommit(run: Callable[[Any, int], None]) -> Callable[[Any, int], None]:
        def once(conn: Any, i: int) -> None:
            conn.autocommit = True
            run(conn, i)
            conn.autocommit = False

        return once

    def select_1(conn: Any, _i: int) -> None:
        conn.execute("SELECT 1").fetchall()

    def select_1_in_transaction(conn: Any, i: int) -> None:
        select_1(conn, i)
        conn.commit()

    def durable_insert(conn: Any, i: int) -> None:
        conn.execute(DURABLE_INSERT, (f"{MARK}-a-{i}", "+819012345678", SITE_NUMBER))

    def durable_minimum(conn: Any, i: int) -> None:
        conn.execute(DURABLE_INSERT, (f"{MARK}-t-{i}", "+819012345678", SITE_NUMBER))
        conn.commit()

    def statement(which: Any) -> Callable[[Any, int], None]:
        return autocommit(
            lambda conn, i: conn.execute(which.sql, {**which.fixed, **look_up_params(i)})
        )

    def event_and_step(conn: Any, i: int) -> None:
        conn.execute(EVENT_AND_STEP.sql, event_and_step_params(i, "a")).fetchall()

    def locked_check_in(conn: Any, i: int) -> None:
        conn.execute(LOOK_UP.call.sql, look_up_params(i)).fetchall()
        conn.execute(EVENT_AND_STEP.sql, event_and_step_params(i, "t")).fetchall()
        conn.commit()

    def checked_write(conn: Any, i: int, label: str = "w") -> None:
        params = {**event_and_step_params(i, label), **basis_params(i)}
        [(_, _, unchanged)] = conn.execute(CHECKED_WRITE.call.sql, params).fetchall()
        assert unchanged, "the checked write found a history it did not expect"

    def checked_check_in(conn: Any, i: int) -> None:
        conn.execute(LOOK_UP.read.sql, {**LOOK_UP.read.fixed, **look_up_params(i)}).fetchall()
        checked_write(conn, i, "c")

    runs = {
        "SELECT 1, autocommit (baseline)": autocommit(select_1),
        "SELECT 1 in BEGIN … COMMIT": select_1_in_transaction,
        "durable minimum's INSERT, autocommit": autocommit(durable_insert),
        "durable minimum: BEGIN, INSERT, COMMIT": durable_minimum,
        "check-in's decision lock alone": statement(LOOK_UP.lock),
        "check-in's look-up alone": statement(LOOK_UP.read),
        "look-up function (lock, then look-up)": statement(LOOK_UP.call),
        "event-and-step INSERT, autocommit": autocommit(event_and_step),
        "checked write (lock, check, INSERT), autocommit": autocommit(checked_write),
        "check-in, locked: BEGIN, function, INSERT, COMMIT": locked_check_in,
        "check-in, checked: look-up, checked write": autocommit(checked_check_in),
    }
    return [Case(label, conninfo, run) for label, run in runs.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=4000, help="per case")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=DATABASE_URL, help="ivr_bench.py's")
    args = parser.parse_args()
    if args.rounds < 1 or args.calls < args.rounds:
        parser.error("--rounds: at least 1, and no more than --calls")
    conninfo = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    every = cases(conninfo)
    for case in every:  # warm: psycopg prepares a statement after its fifth use
        case.measure(range(10**6, 10**6 + 20))
        case.app_s = case.backend_s = 0.0
        case.calls = 0
    per_round = args.calls // args.rounds
    numbers = itertools.count(step=per_round)
    for turn in range(args.rounds):
        for case in every[turn % len(every) :] + every[: turn % len(every)]:
            start = next(numbers)
            case.measure(range(start, start + per_round))
    base = every[0]
    base_us = 1e6 * (base.app_s + base.backend_s) / base.calls
    print(f"{per_round * args.rounds} calls per case in {args.rounds} rounds, µs of CPU per call")
    print(f"{'case':52} {'client':>7} {'backend':>8} {'both':>7} {'× baseline':>11}")
    for case in every:
        app_us, backend_us = 1e6 * case.app_s / case.calls, 1e6 * case.backend_s / case.calls
        print(f"{case.label:52} {app_us:7.1f} {backend_us:8.1f} {app_us + backend_us:7.1f} "
              f"{(app_us + backend_us) / base_us:11.2f}")  # fmt: skip
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DELETE FROM call_steps WHERE call_sid LIKE %s", (f"{MARK}-%",))
        conn.execute("DELETE FROM events WHERE external_id LIKE %s", (f"{MARK}-%",))
        conn.execute("DELETE FROM durable_minimum_calls WHERE call_sid LIKE %s", (f"{MARK}-%",))
    for case in every:
        case.conn.close()


if __name__ == "__main__":
    main()
