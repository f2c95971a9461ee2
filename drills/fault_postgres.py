"""Drill: PostgreSQL stopped for 30 s during the rush.  `python -m drills.fault_postgres`

Runs against a PostgreSQL cluster of its own (`pg_createcluster 15 drill --port 18650`, made
on first use), never the shared one on 5432.  While the database is away every webhook is
answered from the durable spool ("記録を受け付けました"); when it is back, the spool is
replayed (after the next good webhook, and by the RQ replay job) and every call must be in
the database exactly once.  Afterwards the nightly rebuild runs (reconcile jobs that failed
while the database was away are also retried by RQ) and every worker-day has its record.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from drills import rush, verify
from drills.stack import PG_DRILL_PORT, Stack, drill_cluster, log, pg_ctl


def outage(down_s: float, start_at: float) -> rush.Fault:
    async def inject(stack: Stack, _duration: float) -> dict[str, Any]:
        await asyncio.sleep(start_at)
        log(f"stopping PostgreSQL on {PG_DRILL_PORT} for {down_s:.0f} s")
        await asyncio.to_thread(pg_ctl, "stop")
        stopped = time.monotonic()
        peak = 0
        while time.monotonic() - stopped < down_s:
            peak = max(peak, verify.spooled(stack.spool))
            await asyncio.sleep(0.5)
        await asyncio.to_thread(pg_ctl, "start")
        log(f"PostgreSQL started again; {verify.spooled(stack.spool)} webhooks in the spool")
        return {
            "fault": f"PostgreSQL stopped {down_s:.0f} s",
            "spooled_at_peak": peak,
            "db_down_s": round(time.monotonic() - stopped, 1),
        }

    return inject


def main() -> int:
    p = rush.parser(__doc__ or "", workers=2000, duration_s=90)
    p.add_argument("--down", type=float, default=30.0, help="seconds the database is stopped")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="no cluster: check the drill's logic only (nothing is stopped)",
    )
    args = p.parse_args()
    opts = rush.options_from(args)
    with drill_cluster() as admin_url:
        start_at = max(5.0, opts.duration_s / 3)
        return rush.run(
            "fault_postgres",
            opts,
            outage(args.down, start_at),
            rebuild=True,
            pg_admin_url=admin_url,
        )


if __name__ == "__main__":
    sys.exit(main())
