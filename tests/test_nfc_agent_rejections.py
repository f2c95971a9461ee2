"""A touch the server rejects does not block the reader: the real agent (a process, an emulated
FeliCa card over nfcpy's UDP driver) sends a journal holding a touch dated 1999 (a reader whose
clock was wrong) before a good one; the server rejects the first with its code, the agent marks
it rejected in its journal with the reason, shows it on its console and in `nfc-agent --status`,
and the good touch behind it arrives.  A 5xx still means "send again".  An older journal gets
the new column when it is opened."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nfc_fallback.journal import Journal
from nfc_fallback.touch import Touch
from workers_db.models import Event

from .nfc_support import (
    CARD,
    IDM,
    ROOT,
    LiveServer,
    NfcSite,
    committed_site_fixture,  # noqa: F401
    emulate_card,
    free_port,
    genba_call,
    live_server_fixture,  # noqa: F401
    start_agent,
    stop_process,
    wait_until,
)
from .test_nfc_journal import make_uploader

pytestmark = pytest.mark.slow
NS_1999 = int(datetime(1999, 12, 31, 12, 0, tzinfo=UTC).timestamp() * 1e9)


def _status(journal: Path) -> str:
    done = subprocess.run(
        genba_call("nfc-agent", "--status", "--journal", str(journal)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_rejected_touch_is_marked_shown_and_the_next_one_arrives(
    committed_site: tuple[NfcSite, sessionmaker[Session]],
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    site, factory = committed_site
    journal_path = tmp_path / "journal.sqlite3"
    with Journal(journal_path) as journal:  # left by a reader whose clock said 1999
        poisoned = journal.append(Touch("F", CARD, NS_1999, 1), "old-boot", True)
    live_server.start()
    port = free_port(socket.SOCK_DGRAM)
    agent, log = start_agent(
        f"udp:localhost:{port}", live_server.url, site.token, journal_path, "--clock-synced", "yes"
    )
    try:
        wait_until(lambda: log.count("nfc-agent 起動"), timeout=30)
        wait_until(lambda: log.count("送信拒否 rejected #1"), timeout=20)
        card = emulate_card(port, IDM, hold_s=4)
        assert card.wait(20) == 0
        wait_until(lambda: log.count("山田 太郎 さん"), timeout=20)
    finally:
        code = stop_process(agent)
    assert code == 0, log.text()
    assert any("occurred_at_out_of_range" in line for line in log.lines), log.text()
    with factory() as session:
        stored = list(session.scalars(select(Event).where(Event.source == "nfc")))
    assert [(e.card_uid, e.seq) for e in stored] == [(CARD, 2)]
    with Journal(journal_path) as journal:
        entries = {e.seq: e for e in journal.entries()}
    assert entries[1].event_id == poisoned.event_id
    assert (entries[1].outcome, entries[1].error) == ("rejected", "occurred_at_out_of_range")
    assert entries[1].error_message and "occurred_at" in entries[1].error_message
    assert entries[2].outcome == "acked"

    report = _status(journal_path)
    assert "pending 0" in report and "sent 1" in report and "rejected 1" in report, report
    assert "#1" in report and "occurred_at_out_of_range" in report and CARD in report, report


class _Broken(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(503)
        self.end_headers()
        self.wfile.write(b"upstream busy")

    def log_message(self, *_args: object) -> None:
        pass


def test_a_5xx_keeps_the_batch_for_the_next_try(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Journal(tmp_path / "j.sqlite3") as journal:
            journal.append(Touch("F", CARD, NS_1999, 1), "boot-1", True)
            uploader, out = make_uploader(journal, f"http://127.0.0.1:{server.server_port}", "t")
            assert uploader.drain() is False
            assert journal.backlog().count == 1 and uploader.retry_at is not None
            assert journal.status().rejected == 0
    finally:
        server.shutdown()
        server.server_close()
    assert "server answered 503" in out.getvalue()


def test_an_older_journal_gets_the_new_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with Journal(path) as journal:
        journal.append(Touch("F", CARD, NS_1999, 1), "boot-1", True)
    old = sqlite3.connect(path)  # as an agent before error_message wrote it
    old.execute("ALTER TABLE touches DROP COLUMN error_message")
    old.commit()
    old.close()
    with Journal(path) as journal:
        (entry,) = journal.entries()
        assert entry.card_uid == CARD and entry.error_message is None
        assert journal.status().pending == 1
