"""The stack a drill runs against, on loopback ports 186xx, torn down by itself.

- PostgreSQL: a scratch database `genba_drill` on a cluster (by default the shared one on
  5432; the PostgreSQL-stop drill uses a cluster of its own on 18650, `drill_cluster()`),
  created and migrated at the start, dropped at the end.
- Redis: a `redis-server` of the drill's own on 18651 (no persistence), never the shared one.
- gunicorn (`voice_app:create_app()`) on 18601, and RQ workers (`genba-call worker`), all
  with `GENBA_INSTANCE` in a temporary folder (the spool is shared by web and workers).

Every process is started in a session of its own and ended by its process id.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from workers_db.db import make_engine
from workers_db.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WEB_PORT = 18601
PG_DRILL_PORT = 18650
REDIS_PORT = 18651
DB_NAME = "genba_drill"
SHARED_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TWILIO_TOKEN = "drill-twilio-auth-token"
PG_VERSION = "15"
PG_CLUSTER = "drill"
LAST_RUN = Path(tempfile.gettempdir()) / "genba-drill-last"  # logs of the last run
LOCK_FILE = Path(tempfile.gettempdir()) / "genba-drill.lock"  # one drill at a time (ports)
STOP = threading.Event()  # set on SIGTERM/SIGINT: long loops of a drill end early


def stop_on_signals() -> None:
    """SIGTERM and SIGINT end the drill through its `with` blocks, so that everything it
    started is stopped and the scratch database dropped."""

    def handler(signum: int, _frame: object) -> None:
        STOP.set()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@dataclass
class StackOptions:
    pg_admin_url: str = SHARED_PG
    web_workers: int = 3
    web_threads: int = 4
    rq_workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.instance = Path(tempfile.mkdtemp(prefix="genba-drill-"))
        admin = make_url(options.pg_admin_url)
        self.database_url = admin.set(database=DB_NAME).render_as_string(hide_password=False)
        self.redis_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
        self.base_url = f"http://127.0.0.1:{WEB_PORT}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.engine: Engine | None = None

    # ------------------------------------------------------------ environment

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENBA_", "DATABASE_"))}
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
            PUBLIC_BASE_URL=self.base_url,
            GENBA_INSTANCE=str(self.instance),
            GENBA_SECRET_KEY="drill-secret-key",
            PYTHONPATH=str(REPO),
        )
        env.update(self.options.extra_env)
        return env

    @property
    def spool(self) -> Path:
        return self.instance / "spool"

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Stack:
        self._lock = open(LOCK_FILE, "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise RuntimeError(f"another drill is running (it holds {LOCK_FILE})") from None
        try:
            self.start_redis()
            self.create_database()
            self.start_web()
            for n in range(self.options.rq_workers):
                self.start_rq_worker(n)
            self.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for name in reversed(list(self.procs)):  # workers and web before Redis
            self.stop(name)
        if self.engine is not None:
            self.engine.dispose()
        if not os.environ.get("GENBA_DRILL_KEEP_DB"):  # kept for a post-mortem when set
            with contextlib.suppress(Exception):
                drop_database(self.options.pg_admin_url)
        keep_logs(self.instance)
        shutil.rmtree(self.instance, ignore_errors=True)
        self._lock.close()

    def spawn(self, name: str, argv: list[str], logfile: str | None = None) -> None:
        out = open(self.instance / (logfile or f"{name}.log"), "ab")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=REPO,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, name: str, sig: int = signal.SIGTERM, wait_s: float = 15) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the group of a process this drill started
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def start_redis(self) -> None:
        self.spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.instance),
            ],
        )
        wait_port(REDIS_PORT)

    def restart_redis(self, down_s: float) -> None:
        self.stop("redis", signal.SIGKILL)
        time.sleep(down_s)
        self.start_redis()

    def create_database(self) -> None:
        drop_database(self.options.pg_admin_url)
        admin = make_engine(self.options.pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
        admin.dispose()
        self.engine = make_engine(self.database_url, pool_size=2, max_overflow=2)
        upgrade(self.engine)

    def start_web(self) -> None:
        o = self.options
        self.spawn(
            "web",
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(o.web_workers),
                "--threads",
                str(o.web_threads),
                "--bind",
                f"127.0.0.1:{WEB_PORT}",
                "--timeout",
                "30",
                "--backlog",
                "2048",
                "voice_app:create_app()",
            ],
        )

    def start_rq_worker(self, n: int) -> None:
        self.spawn(
            f"rq{n}",
            [str(VENV_BIN / "genba-call"), "worker", "--no-cron", "--name", f"drill-{n}"],
        )

    def rq_worker_pid(self, n: int) -> int:
        return self.procs[f"rq{n}"].pid

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base_url + "/readyz", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.instance}/{name}.log")
            time.sleep(0.3)
        raise RuntimeError("the web server did not become ready")

    def run_python(self, code: str) -> str:
        """Run `code` in a fresh interpreter with the stack's environment (as a job would)."""
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        return done.stdout


def keep_logs(instance: Path) -> None:
    """The last run's logs and quarantined spool entries, for a person to read."""
    shutil.rmtree(LAST_RUN, ignore_errors=True)
    LAST_RUN.mkdir(parents=True)
    for path in instance.glob("*.log"):
        shutil.copy(path, LAST_RUN / path.name)
    failed = instance / "spool" / "failed"
    if failed.is_dir():
        shutil.copytree(failed, LAST_RUN / "spool-failed")


def drop_database(admin_url: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": DB_NAME},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}"'))
    admin.dispose()


def wait_port(port: int, timeout_s: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


# ---------------------------------------------------------------- the drill's own cluster


def pg_ctl(action: str, cluster: str = PG_CLUSTER) -> None:
    argv = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, cluster, action]
    if action == "stop":
        argv += ["-m", "fast"]
    subprocess.run(argv, check=True, capture_output=True)


@contextlib.contextmanager
def drill_cluster(port: int = PG_DRILL_PORT) -> Iterator[str]:
    """A PostgreSQL cluster of the drill's own (`pg_createcluster 15 drill --port 18650`,
    trust on loopback), started for the drill and stopped afterwards; yields its admin URL.
    The shared cluster on 5432 is never stopped."""
    conf = Path(f"/etc/postgresql/{PG_VERSION}/{PG_CLUSTER}")
    if not conf.exists():
        subprocess.run(
            ["pg_createcluster", PG_VERSION, PG_CLUSTER, "--port", str(port)],
            check=True,
            capture_output=True,
        )
        hba = conf / "pg_hba.conf"
        hba.write_text(
            "local all postgres peer\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
        )
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl("start")
    wait_port(port)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl("stop")
