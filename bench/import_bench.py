"""Benchmark of `genba-call import` on PostgreSQL against baselines measured in the same run.

    .venv/bin/python bench/import_bench.py [--rows 50000] [--database-url URL]

Generates a CP932, CRLF file as Excel writes it (full-width phone numbers on some rows, two
numbers in some cells, FeliCa ids on half the rows, PINs on a tenth), creates a scratch
database, and runs each step in a process of its own so that its peak memory (ru_maxrss from
wait4) and wall time are its own:

- baseline `csv pass`: decode the file and read every row with csv.reader;
- baseline `COPY`: the same rows into a plain 10-column text table with PostgreSQL COPY;
- `genba-call import FILE` into the empty schema (the whole CLI, interpreter start included);
- the same import again (idempotent: everything is found, nothing is written).

Prints rows/s, peak RSS and the ratios import/COPY and import/csv pass (docs/import.md).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from workers_db.db import make_engine
from workers_db.migrate import upgrade

HEADER = ["会社名", "事業者ID", "一人親方", "氏名", "フリガナ", "技能者ID", "電話番号", "カードID",
          "言語", "PIN"]  # fmt: skip
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
GENBA_CALL = str(Path(sys.executable).parent / "genba-call")

CSV_PASS = """
import csv, io, sys
text = open(sys.argv[1], "rb").read().decode("cp932")
print(sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1)
"""
COPY_PASS = """
import csv, io, sys
import psycopg
text = open(sys.argv[1], "rb").read().decode("cp932")
rows = csv.reader(io.StringIO(text, newline=""))
next(rows)
with psycopg.connect(sys.argv[2], autocommit=False) as conn:
    conn.execute("DROP TABLE IF EXISTS bench_copy")
    conn.execute("CREATE TABLE bench_copy (" + ", ".join(f"c{i} text" for i in range(10)) + ")")
    with conn.cursor() as cur, cur.copy("COPY bench_copy FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute("DROP TABLE bench_copy")
"""


def generate(rows: int, seed: int = 20261126) -> bytes:
    """Companies of 5-45 workers (5% sole proprietors), 70% with a 事業者ID, 80% of workers
    with a 技能者ID; every seventh phone full-width, every tenth cell with two numbers."""
    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    company, left, name, ccus, sole = 0, 0, "", "", False
    for i in range(rows):
        if left == 0:
            company += 1
            sole = rnd.random() < 0.05
            left = 1 if sole else rnd.randint(5, 45)
            name = f"個人事業{company:05d}" if sole else f"株式会社ベンチ建設{company:05d}"
            ccus = f"1{company:013d}" if rnd.random() < 0.7 else ""
        left -= 1
        number = 10_000_000 + i
        phone = f"090-{number // 10_000:04d}-{number % 10_000:04d}"
        if i % 7 == 0:
            phone = phone.translate(FULL_WIDTH)
        if i % 10 == 0:
            phone += f";080-{number // 10_000:04d}-{number % 10_000:04d}"
        writer.writerow(
            [
                name,
                ccus,
                "○" if sole else "",
                f"作業員 {i}",
                f"サギョウイン {i}",
                f"2{i:013d}" if rnd.random() < 0.8 else "",
                phone,
                f"01{i:014X}" if i % 2 == 0 else "",
                rnd.choice(["ja"] * 8 + ["vi", "zh"]),
                f"{rnd.randint(0, 9999):04d}" if i % 10 == 3 else "",
            ]
        )
    return out.getvalue().encode("cp932")


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process.
    CPU time is the steadier figure on a machine shared with other work."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    out, err = child.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode()}\n{out.decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def recreate(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/genba_bench_import",
        help="a scratch database: dropped and re-created",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "workers.csv"
        path.write_bytes(generate(args.rows))
        recreate(args.database_url)
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
            "GENBA_INSTANCE": str(Path(folder) / "instance"),
        }
        libpq_url = make_url(args.database_url).set(drivername="postgresql")
        libpq = libpq_url.render_as_string(hide_password=False)
        python = sys.executable
        results = {
            "csv pass (baseline)": measure([python, "-c", CSV_PASS, str(path)], env),
            "COPY (baseline)": measure([python, "-c", COPY_PASS, str(path), libpq], env),
            "genba-call import": measure([GENBA_CALL, "import", str(path)], env),
            "genba-call import again": measure([GENBA_CALL, "import", str(path)], env),
        }
        size_mib = path.stat().st_size / 2**20
    print(f"{args.rows:,} rows, {size_mib:.1f} MiB CP932, PostgreSQL {args.database_url}")
    print(f"{'step':<26}{'wall s':>8}{'CPU s':>8}{'rows/s':>10}{'peak MiB':>10}")
    for step, (wall, cpu, peak) in results.items():
        print(f"{step:<26}{wall:>8.2f}{cpu:>8.2f}{args.rows / wall:>10,.0f}{peak:>10.0f}")
    imp_wall, imp_cpu, imp_mem = results["genba-call import"]
    copy_wall, copy_cpu, _ = results["COPY (baseline)"]
    csv_wall, csv_cpu, csv_mem = results["csv pass (baseline)"]
    print(f"import / COPY:     wall {imp_wall / copy_wall:.1f}x, CPU {imp_cpu / copy_cpu:.1f}x")
    print(f"import / csv pass: wall {imp_wall / csv_wall:.1f}x, CPU {imp_cpu / csv_cpu:.1f}x")
    print(f"import / csv pass peak memory: {imp_mem / csv_mem:.1f}x")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
