"""Drill: the NFC reader agent killed -9 again and again while it uploads, on a machine whose
clock is not synchronized.  `python -m drills.fault_nfc`

The real agent (`genba-call nfc-agent --device stdin`, a keyboard-wedge reader fed by the
drill) runs with `--clock-synced no` (the agent's override: the clock is wrong, as on a
Raspberry Pi without NTP; the system clock is never touched) and small batches, while the
phone rush runs.  Every `--kill-every` seconds (randomised) its process group gets SIGKILL
and a new agent starts on the same journal; a card whose touch did not reach the journal
is touched again, as a worker would when the reader did not beep.  At the end the journal
is drained.  Checked: every touch in the journal is in the database exactly once (no loss,
no duplicate, nothing extra), each event is flagged `clock_synced = false` and the site has
a `clock_unsynced` exception.  "acks lost to kill -9" counts touches the server had stored
when the agent died before recording the answer: they were sent again and must have come
back as duplicates.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text

from drills import rush, verify
from drills.seed import Crew
from drills.slowproxy import SlowProxy
from drills.stack import REPO, STOP, VENV_BIN, WEB_PORT, Stack, log

DEVICE = "drill-reader"
PROXY_PORT = 18602  # the agent's uploads go through a proxy that holds each answer
HOLD_S = 0.3


def journal_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=5) as conn:
        return conn.execute(sql).fetchall()


def stored_cards(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT card_uid, count(*) FROM events WHERE source = 'nfc' AND device = :d "
                "GROUP BY card_uid"
            ),
            {"d": DEVICE},
        )
        return {uid: n for uid, n in rows}


class AgentRunner:
    def __init__(self, stack: Stack, token: str, journal: Path, server: str) -> None:
        self.stack = stack
        self.server = server
        self.token = token
        self.journal = journal
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.acks_lost = 0

    def start(self) -> None:
        argv = [
            str(VENV_BIN / "genba-call"), "nfc-agent", "--device", "stdin",
            "--server", self.server, "--token", self.token, "--journal", str(self.journal),
            "--clock-synced", "no", "--debounce", "0", "--batch-size", "10",
            "--retry-base", "0.2", "--retry-cap", "2", "--status-every", "5",
        ]  # fmt: skip
        out = open(self.stack.instance / "nfc-agent.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv, cwd=REPO, env=self.stack.env(), stdin=subprocess.PIPE, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def feed(self, card_uid: str) -> bool:
        assert self.proc is not None and self.proc.stdin is not None
        stdin: IO[bytes] = self.proc.stdin
        try:
            stdin.write(card_uid.encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, ValueError):
            return False
        return True

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # the agent this drill started
        self.proc.wait(10)
        self.kills += 1
        assert self.stack.engine is not None
        unacked = {
            uid for (uid,) in journal_rows(
                self.journal, "SELECT card_uid FROM touches WHERE acked_at_ns IS NULL"
            )
        }  # fmt: skip
        self.acks_lost += len(unacked & set(stored_cards(self.stack.engine)))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)

    def journaled(self) -> set[str]:
        return {uid for (uid,) in journal_rows(self.journal, "SELECT card_uid FROM touches")}

    def backlog(self) -> int:
        rows = journal_rows(self.journal, "SELECT count(*) FROM touches WHERE acked_at_ns IS NULL")
        return int(rows[0][0]) if rows else 0


def device_token(stack: Stack, site_code: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "genba-call"), "create-token", "--device", DEVICE, "--site", site_code],
        cwd=REPO, env=stack.env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def touch_and_kill(
    crews: list[Crew], touches: int, kill_every_s: float, figures: dict[str, Any]
) -> rush.Fault:
    async def inject(stack: Stack, duration: float) -> dict[str, Any]:
        return await asyncio.to_thread(run_agent, stack, duration)

    def run_agent(stack: Stack, duration: float) -> dict[str, Any]:
        with SlowProxy(PROXY_PORT, WEB_PORT, HOLD_S) as proxy:
            return drive(stack, duration, proxy)

    def drive(stack: Stack, duration: float, proxy: SlowProxy) -> dict[str, Any]:
        rng = random.Random(11)
        token = device_token(stack, crews[0].site_code)
        journal = stack.instance / "agent-journal.db"
        agent = AgentRunner(stack, token, journal, f"http://127.0.0.1:{PROXY_PORT}")
        cards = [c.card_uid for c in crews[:touches]]
        pace = duration * 0.8 / max(1, len(cards))
        agent.start()
        next_kill = time.monotonic() + rng.uniform(0.3, 2 * kill_every_s)
        pending = list(cards)
        while pending and not STOP.is_set():
            card = pending.pop(0)
            if not agent.feed(card):
                pending.insert(0, card)
            time.sleep(pace)
            if time.monotonic() >= next_kill:
                if agent.kills % 2 == 0:  # every other kill: while an answer is on its way
                    proxy.holding.wait(2 * kill_every_s)
                agent.kill()
                log(
                    f"agent killed ({agent.kills}), {agent.backlog()} touches unsent in its journal"
                )
                journaled, waiting = agent.journaled(), set(pending)
                missing = [c for c in cards if c not in journaled and c not in waiting]
                pending = missing + pending  # touched again: the reader did not beep
                agent.start()
                next_kill = time.monotonic() + rng.uniform(0.3, 2 * kill_every_s)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not STOP.is_set():  # the last touches sent
            unread = set(cards) - agent.journaled()
            if not unread and not agent.backlog():
                break
            time.sleep(0.5)
        agent.stop()
        journaled = agent.journaled()
        assert stack.engine is not None
        stored = stored_cards(stack.engine)
        with stack.engine.connect() as conn:
            unsynced = conn.execute(
                text("SELECT count(*) FROM events WHERE device = :d AND clock_synced"),
                {"d": DEVICE},
            ).scalar_one()
        result = {
            "fault": "NFC agent SIGKILLed during uploads, clock not synced",
            "touches": len(cards),
            "agent_kills": agent.kills,
            "acks_lost_to_kill": agent.acks_lost,
            "journaled": len(journaled),
            "nfc_lost": len(journaled - set(stored)),
            "nfc_duplicated": sum(n - 1 for n in stored.values()),
            "nfc_stray": len(set(stored) - journaled),
            "nfc_flagged_synced": unsynced,
            "clock_unsynced_exceptions": verify.exceptions_of(stack.engine, "clock_unsynced"),
            "journal_backlog_at_end": agent.backlog(),
        }
        figures.update(result)
        return result

    return inject


def main() -> int:
    p = rush.parser(__doc__ or "", workers=600, duration_s=60)
    p.add_argument("--touches", type=int, default=500, help="card touches fed to the reader")
    p.add_argument("--kill-every", type=float, default=1.5, help="mean seconds between kills")
    args = p.parse_args()
    opts = rush.options_from(args)
    opts.reserved = args.touches  # their cards are touched; they do not call
    opts.workers += args.touches
    figures: dict[str, Any] = {}

    async def fault(stack: Stack, duration: float) -> dict[str, Any]:
        crews = stack_crews(stack)[-args.touches :]
        return await touch_and_kill(crews, args.touches, args.kill_every, figures)(stack, duration)

    return rush.run(
        "fault_nfc", opts, fault, extra=figures,
        must=lambda f: f.get("nfc_lost") == 0 and f.get("nfc_duplicated") == 0
        and f.get("nfc_stray") == 0 and f.get("nfc_flagged_synced") == 0
        and (f.get("clock_unsynced_exceptions") or 0) >= 1 and f.get("journal_backlog_at_end") == 0
        and f.get("journaled") == f.get("touches") and (f.get("agent_kills") or 0) > 0,
    )  # fmt: skip


def stack_crews(stack: Stack) -> list[Crew]:
    """The seeded workers' cards, read back from the database."""
    assert stack.engine is not None
    with stack.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.id, p.e164, c.uid, s.id, s.dial_in_number, s.site_code FROM workers w "
                "JOIN phones p ON p.worker_id = w.id JOIN cards c ON c.worker_id = w.id "
                "CROSS JOIN (SELECT * FROM sites ORDER BY id LIMIT 1) s ORDER BY w.id"
            )
        )
        return [Crew(*row) for row in rows]


if __name__ == "__main__":
    sys.exit(main())
