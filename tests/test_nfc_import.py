"""`genba-call import-touches`: touch logs of other readers and apps, columns found by header,
idempotent like the agent's uploads, good rows kept when some are bad."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from voice_app.cli.group import cli
from workers_db.models import Event
from workers_db.touch_csv import map_headers

from .nfc_support import IDM, UNKNOWN_IDM, NfcSite, nfc_site_fixture  # noqa: F401

JAPANESE_LOG = (
    "日付,時刻,カードID,端末\r\n"
    f"2025/04/01,07:45:10,{IDM},入口リーダー\r\n"
    f"2025/04/01,17:31,{UNKNOWN_IDM.lower()},入口リーダー\r\n"
    "2025/04/01,17:32,ZZZ,入口リーダー\r\n"
    f"2025/13/01,08:00,{IDM},入口リーダー\r\n"
)


def nfc_events(session: Session) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.source == "nfc").order_by(Event.id)))


def test_a_cp932_log_with_japanese_headers_is_imported_once(
    app: Flask, db_session: Session, nfc_site: NfcSite, tmp_path: Path
) -> None:
    log = tmp_path / "touchlog.csv"
    log.write_bytes(JAPANESE_LOG.encode("cp932"))
    runner = app.test_cli_runner()
    args = ["import-touches", str(log), "--site", nfc_site.site.site_code]

    dry = runner.invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 1 and "would import: accepted 2" in dry.output
    assert nfc_events(db_session) == []

    first = runner.invoke(cli, args)
    assert first.exit_code == 1  # bad rows are reported…
    assert "row 4: card_uid: " in first.output and "row 5: date: " in first.output
    assert "imported: accepted 2, duplicates 0, rejected 2" in first.output  # …good ones kept
    events = nfc_events(db_session)
    assert [(e.card_uid, e.worker_id, e.device) for e in events] == [
        (f"F:{IDM}", nfc_site.worker.id, "入口リーダー"),
        (f"F:{UNKNOWN_IDM}", None, "入口リーダー"),
    ]
    assert events[0].occurred_at == datetime(2025, 3, 31, 22, 45, 10, tzinfo=UTC)  # JST

    db_session.refresh(nfc_site.site)
    assert nfc_site.site.reader_last_upload_at is None  # an import is not the reader's contact
    again = runner.invoke(cli, args)
    assert "accepted 0, duplicates 2" in again.output
    assert len(nfc_events(db_session)) == 2


def test_a_log_with_its_own_ids_and_offsets(
    app: Flask, db_session: Session, nfc_site: NfcSite, tmp_path: Path
) -> None:
    log = tmp_path / "export.csv"
    log.write_text(
        "\ufeffID,Card UID,Timestamp,Seq\n"
        f"1,{IDM},2025-04-01T07:45:00+09:00,1\n"
        f"2,{IDM},2025-04-01T18:00:00+09:00,2\n"
    )
    runner = app.test_cli_runner()
    done = runner.invoke(cli, ["import-touches", str(log), "--site", nfc_site.site.site_code])
    assert done.exit_code == 0, done.output
    events = nfc_events(db_session)
    assert [(e.seq, e.device) for e in events] == [(1, "csv:export.csv"), (2, "csv:export.csv")]
    assert all(e.external_id.startswith("nfc:csv-") for e in events)
    missing = tmp_path / "nocard.csv"
    missing.write_text("time\n2025-04-01T07:45:00+09:00\n")
    refused = runner.invoke(cli, ["import-touches", str(missing), "--site", "0000"])
    assert refused.exit_code == 1 and "no site with code" in refused.output


def test_headers_are_matched_in_english_and_japanese() -> None:
    assert map_headers(["Event ID", "IDm", "日時"]) == {
        "event_id": "Event ID",
        "card_uid": "IDm",
        "occurred_at": "日時",
    }
    assert map_headers(["date", "time", "card"]) == {
        "date": "date",
        "time_of_day": "time",
        "card_uid": "card",
    }
