"""Start-up of the command line against the interpreter's own start-up, in the same run.

    .venv/bin/python bench/cli_startup_bench.py [--runs 20] [--source DIR]

Runs, interleaved, `runs` times each, every command in a process of its own and reads its
wall time and peak memory (ru_maxrss from wait4):

- baseline `python -c pass` (the interpreter alone);
- `genba-call --help` (the Flask command group; no command module imported);
- `genba-call nfc-agent --help` (the reader agent: click and nfc_fallback only);
- `import voice_app.cli.agent` (what the agent's computer loads before it reads a card).

`--source DIR` runs the commands from another checkout (put first on PYTHONPATH), e.g. a
`git worktree` of an older commit (also the children's working directory, which `-c`
puts first on sys.path) for a before/after comparison.  Prints the median time,
the ratio to the baseline and the peak RSS of each (docs/architecture.md, start-up).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

MAIN = "import sys; from voice_app.cli import main; sys.argv[0] = 'genba-call'; main()"
CASES = {
    "python -c pass (baseline)": ["-c", "pass"],
    "genba-call --help": ["-c", MAIN, "--help"],
    "genba-call nfc-agent --help": ["-c", MAIN, "nfc-agent", "--help"],
    "import voice_app.cli.agent": ["-c", "import voice_app.cli.agent"],
}


def _run(args: list[str], env: dict[str, str], cwd: str | None) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--source", help="checkout to run the commands from")
    options = parser.parse_args()
    env = dict(os.environ)
    if options.source:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [options.source, env.get("PYTHONPATH")]))
    times: dict[str, list[float]] = {name: [] for name in CASES}
    memory: dict[str, float] = dict.fromkeys(CASES, 0.0)
    for _ in range(options.runs):
        for name, args in CASES.items():
            elapsed, rss = _run(args, env, options.source)
            times[name].append(elapsed)
            memory[name] = max(memory[name], rss)
    baseline = statistics.median(times["python -c pass (baseline)"])
    print(f"{'case':32} {'median s':>9} {'min s':>7} {'× baseline':>10} {'peak RSS MiB':>13}")
    for name in CASES:
        median = statistics.median(times[name])
        print(
            f"{name:32} {median:9.3f} {min(times[name]):7.3f} {median / baseline:10.1f}"
            f" {memory[name]:13.1f}"
        )


if __name__ == "__main__":
    main()
