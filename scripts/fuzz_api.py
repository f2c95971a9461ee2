#!/usr/bin/env python3
"""Fuzz /api/v1 from outside, as an integrator would: schemathesis against a live gunicorn on
PostgreSQL (docs/api.md, "Fuzzing").

1. A fresh database (`GENBA_FUZZ_DATABASE_URL`, default: the test database's name + `_fuzz`)
   is created and migrated, and seeded with a prime, a site, a worker, an admin token and a
   device token for the site.
2. gunicorn serves the app on a free port (Redis: `GENBA_TEST_REDIS_URL`).
3. `st run` reads the served description and runs every phase (examples, coverage, fuzzing,
   stateful) with every check but positive data acceptance; the admin token goes with every
   operation but `POST /api/v1/touches`, which gets the device token (a config file per run).

The exit status is schemathesis' (0: no failure).  Usage:
`python scripts/fuzz_api.py [--max-examples N] [--seed N]`.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHECKS = "all"
EXCLUDED = "positive_data_acceptance"
PHASES = "examples,coverage,fuzzing,stateful"
CONFIG = """\
[[operations]]
include-path = "/api/v1/touches"
headers = { Authorization = "Bearer ${GENBA_FUZZ_DEVICE_TOKEN}" }
"""


def database_url() -> str:
    url = os.environ.get("GENBA_FUZZ_DATABASE_URL")
    if url:
        return url
    test_url = os.environ.get(
        "GENBA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/genba_test"
    )
    from sqlalchemy.engine import make_url

    parsed = make_url(test_url)
    return parsed.set(database=f"{parsed.database}_fuzz").render_as_string(hide_password=False)


def fresh_database(url: str) -> None:
    """Created anew and migrated, as the test suite's own database is."""
    from tests.databases import recreate_database
    from workers_db.db import make_engine
    from workers_db.migrate import upgrade

    recreate_database(url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def seed(url: str) -> tuple[str, str]:
    """A prime with one site and one worker; an admin token and the site's device token."""
    from sqlalchemy.orm import Session

    from workers_db.db import make_engine
    from workers_db.models import ApiToken
    from workers_db.registration import (
        create_company,
        create_site,
        create_worker,
        hash_token,
        new_token,
    )

    engine = make_engine(url)
    with Session(engine) as session:
        prime = create_company(session, "ファズ建設")
        site = create_site(session, name="ファズ現場", site_code="4321", prime_company_id=prime.id)
        create_worker(
            session, name="ファズ 太郎", company_id=prime.id, card_uids=["0102030405060708"]
        )
        admin, device = new_token(), new_token()
        session.add(ApiToken(token_hash=hash_token(admin), role="admin", name="fuzz"))
        session.add(
            ApiToken(
                token_hash=hash_token(device),
                role="device",
                name="fuzz-reader",
                device_name="fuzz-reader",
                site_id=site.id,
            )
        )
        session.commit()
    engine.dispose()
    return admin, device


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str, port: int, instance: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("GENBA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "GENBA_INSTANCE": str(instance),
        "GENBA_SECRET_KEY": "fuzz-secret-key",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            # gunicorn's own cap on the request line answers an HTML 400 before the app sees
            # the request; the fuzzer's long query strings are meant to reach the app.
            "--limit-request-line",
            "0",
            "--log-level",
            "warning",
            "voice_app:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def command(port: int, config: Path, max_examples: int, seed: int | None) -> list[str]:
    st = Path(sys.executable).with_name("st")
    cmd = [
        str(st),
        "--config-file",
        str(config),
        "run",
        f"http://127.0.0.1:{port}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--exclude-checks",
        EXCLUDED,
        "--phases",
        PHASES,
        "--max-examples",
        str(max_examples),
        "-H",
        "Authorization: Bearer ${GENBA_FUZZ_ADMIN_TOKEN}",
        "--no-color",
    ]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    url = database_url()
    fresh_database(url)
    admin, device = seed(url)
    with tempfile.TemporaryDirectory(prefix="genba-fuzz-") as tmp:
        config = Path(tmp) / "schemathesis.toml"
        config.write_text(CONFIG)
        port = free_port()
        server = serve(url, port, Path(tmp) / "instance")
        try:
            cmd = command(port, config, args.max_examples, args.seed)
            printable = " ".join(cmd).replace(str(Path(sys.executable).parent) + "/", "")
            print(f"$ {printable}", flush=True)
            env = {
                **os.environ,
                "GENBA_FUZZ_ADMIN_TOKEN": admin,
                "GENBA_FUZZ_DEVICE_TOKEN": device,
            }
            # -H takes the admin token as text: schemathesis resolves ${…} in its config
            # file only, so it is put in here.
            cmd = [part.replace("${GENBA_FUZZ_ADMIN_TOKEN}", admin) for part in cmd]
            return subprocess.run(cmd, env=env, cwd=tmp, check=False).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
