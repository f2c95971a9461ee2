"""The reader agent's start-up and peak memory on one core, against the interpreter's own.

    .venv/bin/python bench/agent_startup_bench.py [--runs 10] [--cpu 0] [--source DIR]

A Raspberry-Pi-class board is emulated by pinning every process to one core (`taskset -c
CPU`; `--cpu ''` runs unpinned).  Runs, interleaved, `runs` times each:

- `python -c pass` (baseline: the interpreter alone), wall time to its exit;
- `python -c "import nfc"` (baseline: nfcpy, which the agent needs to read a card at all);
- `genba-call nfc-agent --device udp:127.0.0.1:PORT …`: the agent, its reader on nfcpy's UDP
  driver; "ready to read" is the moment its first poll arrives on PORT (where a card would
  answer), then the agent gets SIGTERM.

Peak RSS is ru_maxrss of each child (wait4).  Prints the median time, its ratio to each
baseline and the peak RSS (docs/nfc.md, "Start-up and memory").  `--source DIR` runs the
agent from another checkout (a `git worktree` of an older commit) for a before/after figure.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL

AGENT = "import sys; from voice_app.cli import main; sys.argv[0] = 'genba-call'; main()"
BASELINES = {
    "python -c pass (baseline)": ["-c", "pass"],
    'python -c "import nfc" (baseline)': ["-c", "import nfc"],
}
AGENT_CASE = "nfc-agent: ready to read"


def _pinned(cpu: str, args: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *args] if cpu else args


def _exit_time(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds to the child's exit and its peak RSS in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=DEVNULL, stderr=DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed")
    return elapsed, usage.ru_maxrss / 1024


def _agent_ready(
    command: list[str], env: dict[str, str], cwd: str | None, card: socket.socket
) -> tuple[float, float]:
    """Wall seconds to the agent's first poll on the card's port, and its peak RSS in MiB."""
    card.settimeout(60)
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=DEVNULL, stderr=DEVNULL)
    try:
        card.recvfrom(4096)
    except TimeoutError as exc:
        child.kill()
        raise SystemExit("the agent sent no poll within 60 s") from exc
    elapsed = time.perf_counter() - started
    child.kill()  # the journal survives kill -9 (docs/nfc.md); SIGTERM waits for a poll
    _pid, _status, usage = os.wait4(child.pid, 0)
    card.setblocking(False)
    while True:  # polls that arrived before the agent stopped
        try:
            card.recvfrom(4096)
        except BlockingIOError:
            break
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cpu", default="0", help="core to pin to ('' for none)")
    parser.add_argument("--port", type=int, default=0, help="UDP port of the card (0: any)")
    parser.add_argument("--source", help="checkout to run the agent from")
    options = parser.parse_args()
    env = dict(os.environ)
    if options.source:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [options.source, env.get("PYTHONPATH")]))
    card = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    card.bind(("127.0.0.1", options.port))
    port = card.getsockname()[1]
    times: dict[str, list[float]] = {name: [] for name in [*BASELINES, AGENT_CASE]}
    memory: dict[str, float] = dict.fromkeys(times, 0.0)
    with tempfile.TemporaryDirectory() as folder:
        agent = [
            sys.executable, "-c", AGENT, "nfc-agent", "--device", f"udp:127.0.0.1:{port}",
            "--server", "http://127.0.0.1:9", "--token", "bench",
            "--journal", str(Path(folder) / "journal.sqlite3"),
        ]  # fmt: skip
        for _ in range(options.runs):
            for name, args in BASELINES.items():
                elapsed, rss = _exit_time(_pinned(options.cpu, [sys.executable, *args]), env)
                times[name].append(elapsed)
                memory[name] = max(memory[name], rss)
            # the working directory is first on sys.path with `-c`: the checkout's own
            elapsed, rss = _agent_ready(_pinned(options.cpu, agent), env, options.source, card)
            times[AGENT_CASE].append(elapsed)
            memory[AGENT_CASE] = max(memory[AGENT_CASE], rss)
    card.close()
    pinned = f"pinned to CPU {options.cpu}" if options.cpu else "not pinned"
    print(f"{options.runs} runs each, {pinned}, load average {os.getloadavg()[0]:.2f}")
    bare, nfc = (statistics.median(times[name]) for name in BASELINES)
    print(
        f"{'case':36} {'median s':>9} {'min s':>7} {'× pass':>7} {'× nfc':>6} {'peak RSS MiB':>13}"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:36} {median:9.3f} {min(values):7.3f} {median / bare:7.1f} {median / nfc:6.2f}"
            f" {memory[name]:9.1f}"
        )


if __name__ == "__main__":
    main()
