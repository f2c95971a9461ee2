"""Drill: Redis restarted (killed, empty) during the rush.  `python -m drills.fault_redis`

The drill's own redis-server on 18651 (never the shared 6379) is killed with SIGKILL,
kept down for `--down` seconds and started again empty: every queued reconcile job is lost.
Calls must go on being answered and recorded (Redis costs a log line, not a check-in; the
rate limit lets calls through); the RQ workers must reconnect; afterwards the nightly rebuild
repairs whatever the lost jobs would have done.  Figures: events lost or duplicated (goal 0)
and the work records missing before the rebuild (the lost jobs) and after it (goal 0).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from drills import rush, verify
from drills.stack import Stack, log


def restart(down_s: float, start_at: float) -> rush.Fault:
    async def inject(stack: Stack, _duration: float) -> dict[str, Any]:
        await asyncio.sleep(start_at)
        log(f"killing Redis (SIGKILL), down {down_s:.0f} s, then started empty")
        await asyncio.to_thread(stack.restart_redis, down_s)
        alive = [
            name
            for name, proc in stack.procs.items()
            if name.startswith("rq") and proc.poll() is None
        ]
        return {
            "fault": f"Redis killed, {down_s:.0f} s down, restarted empty",
            "rq_workers_alive_after": len(alive),
        }

    return inject


def main() -> int:
    p = rush.parser(__doc__ or "", workers=2000, duration_s=60)
    p.add_argument("--down", type=float, default=5.0, help="seconds Redis stays down")
    args = p.parse_args()
    opts = rush.options_from(args)
    before: dict[str, int] = {}

    def measure_before_rebuild(stack: Stack) -> None:
        assert stack.engine is not None
        before["records_missing_before_rebuild"] = verify.worker_days(stack.engine) - len(
            verify.work_records(stack.engine)
        )

    return rush.run(
        "fault_redis",
        opts,
        restart(args.down, max(5.0, opts.duration_s / 3)),
        rebuild=True,
        jobs_may_be_lost=True,
        before_rebuild=measure_before_rebuild,
        extra=before,
    )


if __name__ == "__main__":
    sys.exit(main())
