"""The agent's journal (SQLite, WAL, synchronous=FULL) and its uploader against the app served
on a real port: what is kept, what is pruned, what the server's answer marks."""

from __future__ import annotations

import io
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from nfc_fallback.clock import ClockProbe
from nfc_fallback.console import Console
from nfc_fallback.journal import Ack, Journal
from nfc_fallback.touch import Touch, make_touch
from nfc_fallback.uploader import Backoff, ServerAnswer, TouchClient, Uploader
from workers_db.models import Event

from .nfc_support import CARD, LiveServer, build_nfc_site, live_server_fixture  # noqa: F401

SECOND = 10**9


def touch(n: int, wall_s: int = 1_750_000_000) -> Touch:
    return Touch("A", f"A:{n:08X}", wall_s * SECOND + n, 100 * SECOND + n * SECOND)


def test_journal_is_wal_with_full_sync_and_keeps_its_device_id(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        device = journal.device_id
        entry = journal.append(make_touch("F", "0123456789abcdef"), "boot-1", True)
        assert journal._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with Journal(path) as again:
        assert again.device_id == device
        stored = again.entries()
    assert [(e.seq, e.event_id, e.card_uid, e.boot_id) for e in stored] == [
        (1, entry.event_id, CARD, "boot-1")
    ]
    upload = stored[0].as_upload()
    assert set(upload) == {"event_id", "card_uid", "occurred_at", "seq", "clock_synced"}
    assert str(upload["occurred_at"]).endswith("+00:00")


def test_prune_keeps_every_unsent_touch_and_never_reuses_a_sequence(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        entries = [journal.append(touch(n), "b", True) for n in range(30)]
        journal.mark_acked({e.event_id: Ack("acked") for e in entries[:25]}, at_ns=5 * SECOND)
        assert journal.prune(now_ns=6 * SECOND, keep_acked=10) == 15
        remaining = journal.entries()
        assert [e.seq for e in remaining] == list(range(16, 31))
        assert journal.backlog().count == 5
        # Acknowledged rows older than the retention go too, unsent ones never.
        assert journal.prune(now_ns=40 * 86_400 * SECOND, keep_acked=10) == 10
        assert [e.seq for e in journal.entries()] == list(range(26, 31))
        assert journal.append(touch(99), "b", True).seq == 31


def test_touches_read_before_the_clock_synced_are_corrected_within_the_same_boot(
    tmp_path: Path,
) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        early = journal.append(touch(1, wall_s=0), "boot-1", clock_synced=False)  # 1970
        other_boot = journal.append(touch(2, wall_s=0), "boot-0", clock_synced=False)
        assert journal.correct_unsynced("boot-1", 2_000 * SECOND, 161 * SECOND) == 1
        fixed, untouched = journal.entries([early.event_id, other_boot.event_id])
    # read at boottime 101 s; now boottime 161 s, wall 2000 s → it happened at wall 1940 s
    assert fixed.occurred_at.timestamp() == pytest.approx(1940, abs=1e-6)
    assert fixed.as_upload()["clock_synced"] is True
    assert untouched.as_upload()["clock_synced"] is False


def test_a_second_lock_on_the_journal_is_refused(tmp_path: Path) -> None:
    from nfc_fallback.journal import JournalLocked

    first = Journal(tmp_path / "j.sqlite3")
    first.lock()
    with Journal(tmp_path / "j.sqlite3") as second, pytest.raises(JournalLocked):
        second.lock()
    first.close()
    with Journal(tmp_path / "j.sqlite3") as third:
        third.lock()


def make_uploader(journal: Journal, server: str, token: str) -> tuple[Uploader, io.StringIO]:
    out = io.StringIO()
    uploader = Uploader(
        journal,
        TouchClient(server, token),
        Console(out),
        ClockProbe(override=True),
        "boot-1",
        backoff=Backoff(0.01, 0.02),
    )
    return uploader, out


def test_uploader_marks_only_what_the_server_acknowledged(
    committed_db: Engine,
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    factory = sessionmaker(bind=committed_db, expire_on_commit=False)
    with factory() as session:
        site = build_nfc_site(session)
        session.commit()
    live_server.start()
    with Journal(tmp_path / "j.sqlite3") as journal:
        good = journal.append(make_touch("F", "0123456789ABCDEF"), "boot-1", True)
        broken = journal.append(Touch("F", "F:NOT-HEX", 1, 1), "boot-1", True)

        refused, out = make_uploader(journal, live_server.url, "gc_wrong-token")
        assert refused.drain() is False
        assert journal.backlog().count == 2 and refused.retry_at is not None
        assert "server answered 401" in out.getvalue()

        uploader, out = make_uploader(journal, live_server.url, site.token)
        assert uploader.drain() is True
        by_id = {e.event_id: e for e in journal.entries()}
        uploader.report()
    assert (by_id[good.event_id].outcome, by_id[good.event_id].worker_name) == (
        "acked",
        "山田 太郎",
    )
    assert by_id[broken.event_id].outcome == "rejected"
    assert by_id[broken.event_id].error == "card_uid_invalid"
    assert str(by_id[broken.event_id].error_message).startswith("card_uid:")
    assert "山田 太郎 さん" in out.getvalue() and "送信拒否 rejected #2" in out.getvalue()
    assert "未送信 backlog 0 件" in out.getvalue()


def test_old_backlog_warns_clearly(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.append(touch(1, wall_s=1_000), "boot-1", True)
        uploader, out = make_uploader(journal, "http://127.0.0.1:1", "t")
        uploader.report()
    assert "警告 WARNING" in out.getvalue() and "1 touches unsent" in out.getvalue()


def test_racing_uploads_of_one_batch_store_each_touch_once(
    committed_db: Engine, live_server: LiveServer, tmp_path: Path
) -> None:
    factory = sessionmaker(bind=committed_db, expire_on_commit=False)
    with factory() as session:
        site = build_nfc_site(session)
        session.commit()
    live_server.start()
    with Journal(tmp_path / "j.sqlite3") as journal:
        batch = [journal.append(touch(n), "boot-1", True).as_upload() for n in range(200)]
    client = TouchClient(live_server.url, site.token)
    answers: list[ServerAnswer] = []
    racers = [threading.Thread(target=lambda: answers.append(client.post(batch))) for _ in "ab"]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sum(a.accepted for a in answers) == 200
    assert sum(a.duplicates for a in answers) == 200
    with factory() as session:
        stored = session.scalar(select(func.count()).select_from(Event))
    assert stored == 200
