"""Fixtures and helpers of the NFC tests: a site with a registered card and a device token, the
app served for real on a free port in 182xx, the agent and the card emulator as processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from workers_db.models import Site, Worker

from .helpers import make_company, make_site, make_token, make_worker

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(18200, 18300)
IDM = "0123456789ABCDEF"
UNKNOWN_IDM = "0FEDCBA987654321"
CARD = f"F:{IDM}"


@dataclass
class NfcSite:
    site: Site
    worker: Worker
    token: str
    other_token: str  # a device token of another site
    admin_token: str


def build_nfc_site(session: Session) -> NfcSite:
    prime = make_company(session, "元請建設")
    site = make_site(session, prime=prime)
    other = make_site(session, prime=prime)
    worker = make_worker(session, name="山田 太郎", card_uids=[IDM])
    return NfcSite(
        site=site,
        worker=worker,
        token=make_token(session, "device", site_id=site.id, device_name="reader-1"),
        other_token=make_token(session, "device", site_id=other.id, device_name="reader-9"),
        admin_token=make_token(session, "admin"),
    )


@pytest.fixture(name="nfc_site")
def nfc_site_fixture(db_session: Session) -> NfcSite:
    return build_nfc_site(db_session)


@pytest.fixture(name="committed_site")
def committed_site_fixture(
    committed_db: Engine,
) -> Iterator[tuple[NfcSite, sessionmaker[Session]]]:
    """The NFC site with real commits (for the agent as a process), and a session factory."""
    factory = sessionmaker(bind=committed_db, expire_on_commit=False)
    with factory() as session:
        site = build_nfc_site(session)
        session.commit()
    yield site, factory


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port of the NFC range (182xx) that nobody is bound to."""
    for port in PORTS:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18200-18299")


class LiveServer:
    """The app on a real socket in a thread; can be stopped and started again on its port."""

    def __init__(self, app: Flask, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = None


@pytest.fixture(name="live_server")
def live_server_fixture(committed_app: Flask, committed_db: Engine) -> Iterator[LiveServer]:
    server = LiveServer(committed_app, free_port())
    yield server
    server.stop()


def wait_until(condition: Callable[[], object], timeout: float = 30.0, every: float = 0.1) -> None:
    """Poll `condition` until it is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def genba_call(*args: str) -> list[str]:
    return [sys.executable, "-c", "from voice_app.cli import main; main()", *args]


class OutputLog:
    """Collects a child's stdout lines in a thread, so tests can wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def text(self) -> str:
        return "\n".join(self.lines)


def start_agent(
    device: str, server: str, token: str, journal: Path, *extra: str
) -> tuple[subprocess.Popen[str], OutputLog]:
    """`genba-call nfc-agent` as a child process (stdin is a pipe: the `stdin` device)."""
    process = subprocess.Popen(
        genba_call(
            "nfc-agent",
            "--device",
            device,
            "--server",
            server,
            "--token",
            token,
            "--journal",
            str(journal),
            "--retry-base",
            "0.2",
            "--retry-cap",
            "0.5",
            "--status-every",
            "1",
            *extra,
        ),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return process, OutputLog(process)


def stop_process(process: subprocess.Popen[str], timeout: float = 15.0) -> int:
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def emulate_card(port: int, idm: str, hold_s: float) -> subprocess.Popen[str]:
    """A FeliCa card on nfcpy's UDP driver in a second process, held for `hold_s` seconds."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.nfc_card_emulator", str(port), idm, str(hold_s)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
