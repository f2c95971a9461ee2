"""Instructions the app's process executes per zero-key check-in, counted by callgrind.

    python bench/ivr_instructions.py [--requests 100] [--database-url …] [--redis-url …]

A measure that other processes on the machine do not move (unlike CPU time), for comparing
two trees of the app's own code: the process posts signed `/twilio/voice` webhooks straight
to the WSGI app (no HTTP server, no test client), each a different registered worker's first
call, and callgrind counts only while those requests run (instrumentation switched on and
off around them with `callgrind_control`).  PostgreSQL's and Redis' own work, and the
kernel's, are not counted.  Run after `bench/ivr_bench.py` with the same `--database-url`
(its seeded workers; events and call steps are emptied first); needs valgrind.  The first
requests are not counted, and the counted ones start after the reconcile coverage of the
first job has run out, so that every commit asks Redis, as in `bench/ivr_bench.py`.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

# ivr_bench.py's (not imported: its imports, Alembic among them, would double the measured
# process's heap, and with it the garbage collector's share of every request)
DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench_ivr"
REDIS_URL = "redis://127.0.0.1:6379/13"
SITE_NUMBER = "+81355501001"
TOKEN = "bench-twilio-token"
BASE_URL = "http://127.0.0.1:18121"
WARMUP = 50
COVERAGE_S = 5  # past COALESCE_DELAY_S - 1: the first job's marker is gone


def environ(i: int) -> dict[str, Any]:
    """Gunicorn's WSGI environ of one signed first call of worker `i` (ivr_bench's phones)."""
    params = {"CallSid": f"CA{i:032x}", "AccountSid": "AC" + "0" * 32,
              "From": f"+8190{10000000 + i:08d}", "To": SITE_NUMBER, "CallStatus": "ringing",
              "Direction": "inbound"}  # fmt: skip
    body = urlencode(params).encode()
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE_URL}/twilio/voice", params)
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/twilio/voice",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "18121",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:18121",
        "HTTP_X_TWILIO_SIGNATURE": signature, "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip


def inner(requests: int) -> None:
    """The measured process (under callgrind, instrumentation off until the requests)."""
    from redis import Redis
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from voice_app import create_app

    app = create_app()
    for handler in logging.getLogger().handlers:  # the log lines formatted, not shown
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    with Session(app.extensions["genba"].engine) as session:
        for table in ("call_steps", "exceptions", "events"):
            session.execute(text(f"DELETE FROM {table}"))
        session.commit()
    Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    statuses: list[str] = []

    def start_response(status: str, _headers: object, _exc: object = None) -> None:
        statuses.append(status)

    def post(environs: Iterable[dict[str, Any]]) -> None:
        for one in environs:
            body = app(one, start_response)  # type: ignore[arg-type]
            b"".join(body)
            body.close()  # type: ignore[attr-defined]

    post(environ(i) for i in range(WARMUP))
    time.sleep(COVERAGE_S)
    counted = [environ(i) for i in range(WARMUP, WARMUP + requests)]
    control = ["callgrind_control", "--instr"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    post(counted)
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)
    if set(statuses) != {"200 OK"}:
        raise SystemExit(f"FAIL: answers {sorted(set(statuses))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default=DATABASE_URL, help="ivr_bench.py's")
    parser.add_argument("--redis-url", default=REDIS_URL, help="flushed")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=BASE_URL, GENBA_SECRET_KEY="bench",
        GENBA_INSTANCE=str(Path(os.environ.get("TMPDIR", "/tmp")) / "ivr-instructions"),
    )  # fmt: skip
    if args.inner:
        inner(args.requests)
        return
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-instructions.{os.getpid()}.callgrind"
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--inner", "--requests", str(args.requests),
         "--database-url", args.database_url, "--redis-url", args.redis_url],
        capture_output=True, text=True,
    )  # fmt: skip
    out.unlink(missing_ok=True)
    collected = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or collected is None:
        raise SystemExit(f"FAIL:\n{run.stdout}\n{run.stderr[-2000:]}")
    per_request = int(collected.group(1)) / args.requests
    print(f"zero-key check-in: {per_request:,.0f} instructions per request in the app's process "
          f"({args.requests} requests, callgrind)")  # fmt: skip


if __name__ == "__main__":
    main()
