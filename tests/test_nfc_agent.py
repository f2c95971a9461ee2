"""The real agent (`genba-call nfc-agent` as a process) against the app served on a real port
with PostgreSQL: an emulated FeliCa card over nfcpy's UDP driver, a server that is down and
comes back, and kill -9 while journaling and while uploading."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nfc_fallback.journal import Entry, Journal
from nfc_fallback.touch import make_touch
from workers_db.models import Event, WorkException

from .nfc_support import (
    CARD,
    IDM,
    UNKNOWN_IDM,
    LiveServer,
    NfcSite,
    committed_site_fixture,  # noqa: F401
    emulate_card,
    free_port,
    live_server_fixture,  # noqa: F401
    start_agent,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.slow


def nfc_events(factory: sessionmaker[Session]) -> list[Event]:
    with factory() as session:
        return list(session.scalars(select(Event).where(Event.source == "nfc").order_by(Event.id)))


def nfc_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def backlog(path: Path) -> int:
    with Journal(path) as journal:
        return journal.backlog().count


def journal_entries(path: Path) -> list[Entry]:
    with Journal(path) as journal:
        return journal.entries()


def test_emulated_felica_card_reaches_the_server_even_if_it_was_down(
    committed_site: tuple[NfcSite, sessionmaker[Session]],
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    site, factory = committed_site
    port = free_port(socket.SOCK_DGRAM)
    journal = tmp_path / "journal.sqlite3"
    agent, log = start_agent(
        f"udp:localhost:{port}", live_server.url, site.token, journal, "--clock-synced", "yes"
    )
    try:
        wait_until(lambda: log.count("nfc-agent 起動"), timeout=30)
        # The server is down: the touch is journaled and kept.
        card = emulate_card(port, IDM, hold_s=5)
        wait_until(lambda: log.count("タッチ記録"), timeout=20)
        wait_until(lambda: log.count("送信失敗"), timeout=10)
        assert card.wait(20) == 0
        assert backlog(journal) == 1
        assert nfc_events(factory) == []
        # The server comes back: the touch arrives, and the reader learns the worker's name.
        live_server.start()
        wait_until(lambda: len(nfc_events(factory)) == 1, timeout=20)
        wait_until(lambda: log.count("山田 太郎 さん"), timeout=10)
        # An unknown card, with the server up.
        card = emulate_card(port, UNKNOWN_IDM, hold_s=4)
        assert card.wait(20) == 0
        wait_until(lambda: len(nfc_events(factory)) == 2, timeout=20)
        wait_until(lambda: log.count("未登録カード"), timeout=10)
    finally:
        code = stop_process(agent)
    assert code == 0, log.text()
    assert log.count("タッチ記録") == 2, log.text()  # each held card is one touch
    events = nfc_events(factory)
    assert [(e.card_uid, e.worker_id, e.seq, e.clock_synced) for e in events] == [
        (CARD, site.worker.id, 1, True),
        (f"F:{UNKNOWN_IDM}", None, 2, True),
    ]
    entries = journal_entries(journal)
    assert [f"nfc:{e.event_id}" for e in entries] == [e.external_id for e in events]
    assert [e.technology for e in entries] == ["F", "F"]
    assert all(e.acked_at_ns is not None for e in entries)
    with factory() as session:
        problem = session.scalars(select(WorkException)).one()
    assert (problem.kind, problem.detail["raw_card_uid"]) == ("unknown_card", f"F:{UNKNOWN_IDM}")


def test_kill_9_while_uploading_loses_and_duplicates_nothing(
    committed_site: tuple[NfcSite, sessionmaker[Session]],
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    site, factory = committed_site
    path = tmp_path / "journal.sqlite3"
    total = 1000
    journal = Journal(path)
    for n in range(total):
        journal.append(make_touch("A", f"{n:08X}"), "boot-1", True)
    journal.close()
    live_server.start()
    agent, log = start_agent("stdin", live_server.url, site.token, path, "--batch-size", "10")
    wait_until(lambda: nfc_count(factory) >= 100, timeout=30, every=0.02)
    os.kill(agent.pid, signal.SIGKILL)
    agent.wait()
    arrived = nfc_count(factory)
    assert arrived < total, "the upload finished before the kill; raise `total`"

    agent, log = start_agent("stdin", live_server.url, site.token, path, "--batch-size", "500")
    try:
        wait_until(lambda: backlog(path) == 0, timeout=30)
    finally:
        assert stop_process(agent) == 0, log.text()
    events = nfc_events(factory)
    entries = journal_entries(path)
    assert len(events) == total
    assert sorted(e.external_id for e in events) == sorted(f"nfc:{e.event_id}" for e in entries)
    assert sorted(e.seq or 0 for e in events) == list(range(1, total + 1))
    assert {e.outcome for e in entries} == {"acked"}


def test_kill_9_while_journaling_keeps_every_printed_touch(
    committed_site: tuple[NfcSite, sessionmaker[Session]], tmp_path: Path
) -> None:
    site, _ = committed_site
    path = tmp_path / "journal.sqlite3"
    unreachable = f"http://127.0.0.1:{free_port()}"
    agent, log = start_agent("stdin", unreachable, site.token, path, "--debounce", "0")
    wait_until(lambda: log.count("nfc-agent 起動"), timeout=30)
    writer = threading.Thread(target=type_cards, args=(agent,), daemon=True)
    writer.start()
    wait_until(lambda: log.count("タッチ記録") >= 200, timeout=20, every=0.005)
    os.kill(agent.pid, signal.SIGKILL)
    agent.wait()
    writer.join()
    printed = {line.split("#")[1].split()[0] for line in log.lines if "タッチ記録" in line}
    entries = journal_entries(path)
    assert printed <= {str(e.seq) for e in entries}  # all the reader showed is in the journal
    assert len({e.event_id for e in entries}) == len(entries)
    # The journal holds a gap-free prefix of what was read, each touch once.
    assert [e.card_uid for e in entries] == [f"A:{n:08X}" for n in range(len(entries))]
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def type_cards(agent: subprocess.Popen[str]) -> None:
    """A keyboard-wedge reader typing card ids until the agent is gone."""
    assert agent.stdin is not None
    try:
        for n in range(200_000):
            agent.stdin.write(f"A:{n:08X}\n")
            if n % 20 == 0:
                agent.stdin.flush()
    except (BrokenPipeError, ValueError):
        return


def test_a_second_agent_on_the_same_journal_is_refused(
    committed_site: tuple[NfcSite, sessionmaker[Session]], tmp_path: Path
) -> None:
    site, _ = committed_site
    path = tmp_path / "journal.sqlite3"
    first, log = start_agent("stdin", "http://127.0.0.1:1", site.token, path)
    try:
        wait_until(lambda: log.count("nfc-agent 起動"), timeout=30)
        second, second_log = start_agent("stdin", "http://127.0.0.1:1", site.token, path)
        assert second.wait(30) == 1
        wait_until(lambda: second_log.count("in use by another nfc-agent"), timeout=5)
    finally:
        stop_process(first)
