"""Where the time of one zero-key check-in goes (in-process, one thread, no HTTP server).

    python bench/ivr_phases.py [--requests 300] [--database-url …] [--redis-url …]

Run after `bench/ivr_bench.py` with the same `--database-url` (it uses that benchmark's
database and seeded workers, and empties its events and call steps first): posts signed
`/twilio/voice` requests through Flask's test client and times the phases by wrapping the
functions that do them; the baseline is the static-TwiML app through the same client.
Prints milliseconds per request for each phase and for the whole request, wall clock and
this process's CPU (one thread, nothing else in the process: steadier than a server's
figures on a shared machine).
"""

from __future__ import annotations

import argparse
import collections
import functools
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ivr_bench import DATABASE_URL, REDIS_URL, SITE_NUMBER, TOKEN

spent: collections.defaultdict[str, float] = collections.defaultdict(float)
labels: list[str] = []


def timed(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)
    labels.append(label)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=DATABASE_URL, help="ivr_bench.py's")
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL="http://localhost", GENBA_SECRET_KEY="bench",
        GENBA_INSTANCE=str(Path(os.environ.get("TMPDIR", "/tmp")) / "ivr-phases"),
    )  # fmt: skip
    import jobs.queue
    import voice_app.calls.runner as core
    import voice_app.calls.web as web
    import voice_app.twilio.twiml as twiml
    import voice_app.twilio.views as views
    from voice_app import create_app
    from workers_db.callers import DbLookup

    timed(views, "refusal", "signature check")
    timed(views, "gate_webhook", "rate limit")
    timed(web, "answer_step", "answer_step (all below)")
    timed(DbLookup, "site_by_number", "  lock + site, caller's workers, history, 施工体制")
    timed(DbLookup, "workers_by_phone", "  caller's workers (read with the site)")
    timed(twiml, "to_twiml", "  TwiML")
    timed(core.call_actions, "apply", "  the event and the step's answer")
    timed(Session, "commit", "  commit (+ reconcile request)")
    timed(jobs.queue, "enqueue_reconcile", "    reconcile request (RQ)")

    app = create_app()
    logging.disable(logging.INFO)
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    with Session(app.extensions["genba"].engine) as session:
        for table in ("call_steps", "exceptions", "events"):
            session.execute(text(f"DELETE FROM {table}"))
        session.commit()

    def post(i: int, poster: Callable[..., Any]) -> None:
        params = {"CallSid": f"CA{i:032x}", "From": f"+8190{10000000 + i:08d}",
                  "To": SITE_NUMBER, "CallStatus": "ringing"}  # fmt: skip
        signature = validator.compute_signature("http://localhost/twilio/voice", params)
        response = poster("/twilio/voice", data=params, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200

    from static_twiml import app as static_app

    static = static_app.test_client()
    for i in range(20):
        post(i, client.post)
        post(i, static.post)
    spent.clear()
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(20, 20 + args.requests):
        post(i, static.post)
    baseline = (time.perf_counter() - started) / args.requests * 1000
    baseline_cpu = (time.process_time() - cpu) / args.requests * 1000
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(20, 20 + args.requests):
        post(i, client.post)
    total = (time.perf_counter() - started) / args.requests * 1000
    total_cpu = (time.process_time() - cpu) / args.requests * 1000
    print(f"static TwiML through the test client: {baseline:.2f} ms per request "
          f"({baseline_cpu:.2f} ms CPU)")  # fmt: skip
    print(f"zero-key check-in through the test client: {total:.2f} ms per request "
          f"({total_cpu:.2f} ms CPU); its phases (wall clock):")  # fmt: skip
    for label in labels:
        print(f"  {label:46} {spent[label] / args.requests * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
