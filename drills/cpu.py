"""CPU time spent per component during the load (from /proc), so that sizing does not depend on
how busy the shared machine was: CPU milliseconds per call for the web processes, the RQ
workers, PostgreSQL's backends of the drill database, Redis and the load generator itself."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, text

from drills.stack import DB_NAME, Stack

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its waited-for children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return int(fields[1]), ticks / TICK


def tree_seconds(root: int) -> float:
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


def backend_pids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": DB_NAME},
            ).scalars()
        )


def snapshot(stack: Stack) -> dict[str, float]:
    assert stack.engine is not None
    procs = stack.procs
    client = os.times()
    return {
        "web": tree_seconds(procs["web"].pid) if "web" in procs else 0.0,
        "rq": sum(tree_seconds(p.pid) for name, p in procs.items() if name.startswith("rq")),
        "redis": tree_seconds(procs["redis"].pid) if "redis" in procs else 0.0,
        "postgres": sum((_stat(pid) or (0, 0.0))[1] for pid in backend_pids(stack.engine)),
        "client": client.user + client.system,
    }


def per_call_ms(before: dict[str, float], after: dict[str, float], calls: int) -> dict[str, float]:
    """CPU ms per call by component, and their total (PostgreSQL backends that ended during
    the load are not counted: an undercount, small with a connection pool)."""
    out = {k: round((after[k] - before[k]) * 1000 / max(calls, 1), 2) for k in before}
    out["server_total"] = round(sum(v for k, v in out.items() if k != "client"), 2)
    return out
