"""The shared skeleton of every drill: start the stack, seed it, replay the morning rush while
a fault is injected, let the system settle, then check the database and print the figures.

A drill's last line is `FIGURES {json}`; the lines before it are the same figures for people.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from drills import cpu, verify
from drills.loadgen import LoadPlan, LoadReport, run_load
from drills.seed import Crew, seed
from drills.stack import TWILIO_TOKEN, Stack, StackOptions, log, stop_on_signals

Fault = Callable[[Stack, float], Awaitable[dict[str, Any]]]
GOOD_OUTCOMES = ("recorded", "spooled")


@dataclass
class DrillOptions:
    workers: int = 3000
    sites: int = 60
    duration_s: float = 60.0
    web_workers: int = 3
    web_threads: int = 4
    rq_workers: int = 2
    read_timeout_s: float = 5.0
    settle_s: float = 180.0
    reserved: int = 0  # seeded workers kept out of the phone rush (the NFC drill's cards)
    plan: dict[str, Any] = field(default_factory=dict)


def parser(description: str, **defaults: Any) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    d = DrillOptions(**defaults)
    p.add_argument(
        "--workers", type=int, default=d.workers, help="distinct callers (one call each)"
    )
    p.add_argument("--sites", type=int, default=d.sites)
    p.add_argument("--duration", type=float, default=d.duration_s, help="seconds of arrivals")
    p.add_argument("--web-workers", type=int, default=d.web_workers, help="gunicorn processes")
    p.add_argument("--web-threads", type=int, default=d.web_threads, help="threads per process")
    p.add_argument("--rq-workers", type=int, default=d.rq_workers)
    p.add_argument(
        "--read-timeout",
        type=float,
        default=d.read_timeout_s,
        help="seconds before the client retries a webhook like Twilio",
    )
    return p


def options_from(args: argparse.Namespace, **plan: Any) -> DrillOptions:
    return DrillOptions(
        workers=args.workers,
        sites=args.sites,
        duration_s=args.duration,
        web_workers=args.web_workers,
        web_threads=args.web_threads,
        rq_workers=args.rq_workers,
        read_timeout_s=args.read_timeout,
        plan=plan,
    )


def contention() -> str:
    """Other load on the machine while the drill ran (the figures depend on it)."""
    load1, _, _ = os.getloadavg()
    return f"load average {load1:.1f} on {os.cpu_count()} cores"


def start_stack(opts: DrillOptions, pg_admin_url: str | None = None, **extra_env: str) -> Stack:
    stack_options = StackOptions(
        web_workers=opts.web_workers,
        web_threads=opts.web_threads,
        rq_workers=opts.rq_workers,
        extra_env=dict(extra_env),
    )
    if pg_admin_url:
        stack_options.pg_admin_url = pg_admin_url
    web = f"{opts.web_workers}×{opts.web_threads}"
    log(f"starting the stack (web {web}, {opts.rq_workers} RQ workers)")
    return Stack(stack_options)


def load_and_fault(
    stack: Stack, opts: DrillOptions, crews: list[Crew], fault: Fault | None
) -> tuple[LoadReport, dict[str, Any]]:
    plan = LoadPlan(
        crews=crews[: len(crews) - opts.reserved],
        duration_s=opts.duration_s,
        base_url=stack.base_url,
        token=TWILIO_TOKEN,
        read_timeout_s=opts.read_timeout_s,
        **opts.plan,
    )

    async def both() -> tuple[LoadReport, dict[str, Any]]:
        before = cpu.snapshot(stack)
        load = asyncio.create_task(run_load(plan))
        injected = await fault(stack, opts.duration_s) if fault is not None else {}
        report = await load
        after = cpu.snapshot(stack)
        injected["cpu_ms_per_call"] = cpu.per_call_ms(before, after, len(report.results))
        return report, injected

    log(f"load: {len(crews)} callers over {opts.duration_s:.0f} s")
    return asyncio.run(both())


def seed_stack(stack: Stack, opts: DrillOptions) -> list[Crew]:
    assert stack.engine is not None
    crews = seed(stack.engine, opts.workers, opts.sites)
    log(f"seeded {len(crews)} workers at {opts.sites} sites")
    return crews


def settle(
    stack: Stack,
    opts: DrillOptions,
    rebuild: bool = False,
    before_rebuild: Callable[[Stack], None] | None = None,
) -> dict[str, Any]:
    """Spool replayed, queue drained, and with `rebuild` the nightly rebuild run (after
    `before_rebuild(stack)` looked at what the jobs alone achieved)."""
    redis = Redis.from_url(stack.redis_url)
    spool_wait = verify.wait_spool_empty(stack.spool, opts.settle_s)
    queue_wait = verify.wait_queue_idle(redis, opts.settle_s)  # what the jobs alone did
    assert stack.engine is not None
    missing = verify.worker_days(stack.engine) - len(verify.work_records(stack.engine))
    examples = verify.unreconciled(stack.engine)
    if rebuild:
        if before_rebuild is not None:
            before_rebuild(stack)
        log("running the nightly rebuild (jobs.nightly.nightly_rebuild)")
        stack.run_python("from jobs.nightly import nightly_rebuild; print(nightly_rebuild(1))")
        verify.wait_queue_idle(redis, opts.settle_s)
    return {
        "spool_drained_after_s": spool_wait,
        "queue_drained_after_s": round(queue_wait, 1),
        "records_missing_after_jobs": missing,
        "unreconciled_after_jobs": examples,
        "failed_jobs": verify.failed_jobs(redis),
    }


def phone_checks(stack: Stack, report: LoadReport) -> dict[str, Any]:
    assert stack.engine is not None
    recordable = [r.crew.worker_id for r in report.results if not r.needs_follow_up]
    ledger = verify.ledger(stack.engine, recordable, "phone")
    follow_up = {r.call_sid for r in report.results if r.needs_follow_up}
    return {
        **ledger.as_dict(),
        "follow_up_calls": len(follow_up),
        "follow_up_without_exception": len(follow_up - verify.follow_up_calls(stack.engine)),
        "work_records": len(verify.work_records(stack.engine)),
        "worker_days": verify.worker_days(stack.engine),
        "unreconciled": verify.unreconciled(stack.engine),
    }


def finish(name: str, figures: dict[str, Any], ok: bool) -> int:
    figures = {"drill": name, "ok": ok, "machine": contention(), **figures}
    width = max(len(k) for k in figures)
    print("-" * 60)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print("FIGURES " + json.dumps(figures, ensure_ascii=False, default=str), flush=True)
    return 0 if ok else 1


def run(
    name: str,
    opts: DrillOptions,
    fault: Fault | None = None,
    *,
    rebuild: bool = False,
    before_rebuild: Callable[[Stack], None] | None = None,
    extra: dict[str, Any] | None = None,
    must: Callable[[dict[str, Any]], bool] | None = None,
    jobs_may_be_lost: bool = False,
    pg_admin_url: str | None = None,
    **extra_env: str,
) -> int:
    started = time.monotonic()
    stop_on_signals()
    with start_stack(opts, pg_admin_url, **extra_env) as stack:
        crews = seed_stack(stack, opts)
        report, injected = load_and_fault(stack, opts, crews, fault)
        log(f"load done: {report.figures()['outcomes']}; settling")
        settled = settle(stack, opts, rebuild=rebuild, before_rebuild=before_rebuild)
        checks = phone_checks(stack, report)
    told_down = report.outcomes.get("system_down", 0) + report.outcomes.get("failed", 0)
    ok = (
        checks["lost"] == 0
        and checks["duplicated"] == 0
        and checks["stray"] == 0
        and checks["follow_up_without_exception"] == 0
        and checks["work_records"] == checks["worker_days"]
        and all(r.outcome in GOOD_OUTCOMES for r in report.results)
        and (jobs_may_be_lost or settled["records_missing_after_jobs"] == 0)
        and (must is None or must({**injected, **settled, **(extra or {})}))
    )
    figures = {
        **report.figures(),
        **injected,
        **settled,
        **(extra or {}),
        **checks,
        "callers_told_not_recorded": told_down,
        "wall_s": round(time.monotonic() - started),
    }
    return finish(name, figures, ok)
