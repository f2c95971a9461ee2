"""Poisoned touch batches on real PostgreSQL: each bad event is rejected on its own with an
error code (docs/nfc.md), the good events of the same batch are stored, and the answer is never
a 5xx (a 5xx makes the reader send the same batch again for ever).  A reconcile job never fails
on a date it can be given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from jobs import runtime as job_runtime
from jobs.reconcile import reconcile_sites
from workers_db.settings import Settings

from .helpers import bearer
from .nfc_support import NfcSite, build_nfc_site, nfc_site_fixture  # noqa: F401
from .test_nfc_api import events_of, post, touch

BIGINT_MAX = 2**63 - 1


def test_out_of_range_and_malformed_events_are_rejected_one_by_one(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite
) -> None:
    now = datetime.now(UTC)
    good = [
        touch(seq=1),
        touch(at="2000-01-01T00:00:00Z"),
        touch(seq=BIGINT_MAX),
        touch(at=(now + timedelta(hours=20)).isoformat()),
    ]
    bad = {
        "year_1": (touch(at="0001-01-01T00:00:00+14:00"), "occurred_at_out_of_range"),
        "year_9999": (touch(at="9999-12-31T23:59:59Z"), "occurred_at_out_of_range"),
        "year_9999_west": (touch(at="9999-12-31T23:59:59-12:00"), "occurred_at_out_of_range"),
        "before_2000": (touch(at="1999-12-31T23:59:59Z"), "occurred_at_out_of_range"),
        "epoch": (touch(at="1970-01-01T00:00:05Z", clock_synced=False), "occurred_at_out_of_range"),
        "two_days_ahead": (
            touch(at=(now + timedelta(days=2)).isoformat()),
            "occurred_at_out_of_range",
        ),
        "seq_2_63": (touch(seq=2**63), "seq_out_of_range"),
        "seq_huge": (touch(seq=10**30), "seq_out_of_range"),
        "seq_negative": (touch(seq=-1), "seq_invalid"),
        "uid_not_hex": (touch(card="F:ZZZZZZZZZZZZZZZZ"), "card_uid_invalid"),
        "uid_nul": (touch(card="F:0123\x0045670123456"), "card_uid_invalid"),
        "uid_long": (touch(card="0" * 65), "card_uid_invalid"),
        "uid_empty": (touch(card=""), "card_uid_missing"),
        "no_offset": (touch(at="2025-04-01T07:45:00"), "occurred_at_no_offset"),
        "not_a_time": (touch(at="2025-13-45T99:00:00Z"), "occurred_at_invalid"),
        "event_id_nul": (touch(event_id="a\x00b"), "event_id_invalid"),
    }
    batch: list[Any] = [good[0], *(event for event, _ in bad.values()), *good[1:]]
    answer = post(client, nfc_site.token, {"events": batch})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    body = answer.get_json()
    assert (body["accepted"], body["duplicates"]) == (len(good), 0)
    by_index = {r["index"]: r for r in body["rejected"]}
    for index, (name, (event, code)) in enumerate(bad.items(), start=1):
        assert by_index[index]["error"] == code, (name, by_index[index])
        assert by_index[index]["message"], name  # a sentence for the reader's console
        if "\x00" not in event["event_id"]:
            assert by_index[index]["event_id"] == event["event_id"]
    stored = {e.external_id: e for e in events_of(db_session, nfc_site.site)}
    assert set(stored) == {f"nfc:{g['event_id']}" for g in good}
    assert stored[f"nfc:{good[2]['event_id']}"].seq == BIGINT_MAX
    assert stored[f"nfc:{good[1]['event_id']}"].work_date == date(2000, 1, 1)


def test_a_batch_of_only_poison_is_answered_200_and_stores_nothing(
    client: FlaskClient, db_session: Session, nfc_site: NfcSite
) -> None:
    batch = [touch(at="0001-01-01T00:00:00+14:00"), touch(seq=2**63)]
    answer = client.post("/api/v1/touches", json={"events": batch}, headers=bearer(nfc_site.token))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["accepted"] == 0
    assert [r["error"] for r in body["rejected"]] == [
        "occurred_at_out_of_range",
        "seq_out_of_range",
    ]
    assert events_of(db_session, nfc_site.site) == []


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31", "9999-12-31"),
        ("0001-01-01", "0001-03-01"),
        ("9999-11-01", "9999-12-31"),
    ],
)
def test_a_reconcile_job_never_fails_on_a_date_it_can_be_given(
    settings: Settings, committed_db: Engine, date_from: str, date_to: str
) -> None:
    with Session(committed_db) as session:
        build_nfc_site(session)
        session.commit()
    job_runtime.use_settings(settings)
    summary = reconcile_sites(None, date_from, date_to)  # the RQ job's body
    assert summary["chunks"] and summary["records_written"] == 0
