"""`genba-call call` against a real server, and `genba-call demo` on the embedded default."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from voice_app import create_app
from voice_app.cli.group import cli
from workers_db.models import CallLog, Event
from workers_db.settings import Settings

from .conftest import TWILIO_TEST_TOKEN
from .ivr_support import REJECT_NUMBER, SHARED_NUMBER, TANAKA, build_world

GENBA_CALL = [sys.executable, "-c", "from voice_app.cli import main; main()"]


def genba_call(*args: str, token: str = TWILIO_TEST_TOKEN) -> Result:
    """The real `genba-call call` command, in this process (the demo test runs it as a
    separate program); it talks HTTP to the server like any client."""
    return CliRunner().invoke(cli, ["call", *args], env={"TWILIO_AUTH_TOKEN": token})


@pytest.fixture
def served(settings: Settings, committed_db: Engine, redis_conn: object) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 (PUBLIC_BASE_URL unset: the server's address)."""
    with Session(committed_db) as session:
        build_world(session)
    app = create_app(
        {"TESTING": True, "GENBA_SETTINGS": settings.with_overrides(public_base_url=None)}
    )
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/twilio/voice"
    server.shutdown()
    server.server_close()


def test_call_follows_gathers_with_digits(served: str, committed_db: Engine) -> None:
    result = genba_call("--url", served, "--from", "090-1111-0001", "--to", SHARED_NUMBER,
                        "--digits", "9999#1234#")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  keys: 9999#" in lines and "  keys: 1234#" in lines
    assert "  [ja-JP] タナカ イチロウさん" in "\n".join(lines)
    assert lines.count("  <Hangup>") == 1
    with Session(committed_db) as session:
        [event] = session.scalars(select(Event).where(Event.worker_id.is_not(None))).all()
        assert event.caller_e164 == TANAKA and event.direction == "entry"
        [log] = session.scalars(select(CallLog)).all()  # the status callback at the end
        assert (log.status, log.outcome) == ("completed", "entry")


def test_call_shows_reject(served: str, committed_db: Engine) -> None:
    result = genba_call("--url", served, "--from", TANAKA, "--to", REJECT_NUMBER)
    assert result.exit_code == 0, result.output
    assert "  <Reject>" in result.stdout.splitlines()


def test_call_with_the_wrong_token_is_refused(served: str, committed_db: Engine) -> None:
    result = genba_call("--url", served, "--from", TANAKA, "--to", REJECT_NUMBER, token="wrong")
    assert result.exit_code == 1
    assert "HTTP 403" in result.stderr
    with Session(committed_db) as session:
        assert session.scalars(select(Event)).all() == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_until(process: subprocess.Popen[str], marker: str, limit_s: float) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError("demo did not get ready:\n" + "\n".join(lines))


@pytest.mark.smoke
def test_demo_serves_the_embedded_default(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
    }
    env["GENBA_INSTANCE"] = str(tmp_path / "instance")
    port = _free_port()
    demo = subprocess.Popen(
        [*GENBA_CALL, "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        preexec_fn=_as_a_background_job,
    )
    try:
        lines = _read_until(demo, "Ctrl-C", 60)
        worker_pid = int(re.search(r"RQ worker pid (\d+)", "\n".join(lines)).group(1))  # type: ignore[union-attr]
        commands = [line.strip() for line in lines if "genba-call call" in line]
        assert len(commands) >= 9  # docs/ivr.md's behaviours 1-7 and the extras
        token, command = commands[0].split(" ", 1)
        call_env = {**env, "TWILIO_AUTH_TOKEN": token.split("=", 1)[1]}
        entry = subprocess.run(
            [*GENBA_CALL, *shlex.split(command)[1:]],
            capture_output=True, text=True, env=call_env, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert "入場を記録しました" in entry.stdout, entry.stderr
        database = tmp_path / "instance" / "genba.db"
        assert _work_record_appears(database, limit_s=45), "the RQ worker reconciled nothing"
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            stopped = demo.wait(30)
        finally:
            if demo.poll() is None:  # not stopped: leave no server behind
                demo.kill()
        assert stopped == 0
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


def _as_a_background_job() -> None:
    """Start the demo as `genba-call demo &` in a shell script would: with SIGINT ignored.
    Ctrl-C (here SIGINT) must stop it all the same."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work_record_appears(database: Path, limit_s: float) -> bool:
    """The call's reconciliation job runs in the demo's worker (after the coalescing delay)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as conn:
            if conn.execute("SELECT count(*) FROM work_records").fetchone()[0]:
                return True
        time.sleep(0.5)
    return False


def test_demo_data_is_idempotent(db_session: Session) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import func

    from voice_app.demo_data import WORKERS, seed
    from workers_db.models import PhoneCrewMember, Site, SiteCompany, Worker

    tokyo, now = ZoneInfo("Asia/Tokyo"), datetime(2025, 6, 2, 3, 0, tzinfo=UTC)

    def counts() -> list[int]:
        return [
            db_session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Worker, Site, SiteCompany, PhoneCrewMember, Event)
        ]

    first = seed(db_session, tokyo, now)
    before = counts()
    again = seed(db_session, tokyo, now)
    assert counts() == before
    assert before[0] == len(WORKERS) and before[4] == 1  # the morning entry of the exit demo
    assert {k: w.id for k, w in first.workers.items()} == {
        k: w.id for k, w in again.workers.items()
    }
    assert (
        first.sites["1002"].answer_mode == "reject" and first.sites["1003"].dial_in_number is None
    )
