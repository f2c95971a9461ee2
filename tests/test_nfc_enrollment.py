"""Linking an unknown card (or phone) to its worker makes the earlier touches (or calls) count:
the events get the worker, the exceptions are resolved with a reason, the change is audited and
the affected days are reconciled after commit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.deferred import flush_deferred
from jobs.queue import reconcile_job_id
from voice_app.cli.group import cli
from workers_db.enrollment import link_card, link_phone
from workers_db.errors import ValidationFailed
from workers_db.intake import raise_exception, record_event
from workers_db.models import AuditEntry, Event, WorkException
from workers_db.touch_intake import ingest_touches

from .helpers import make_worker
from .nfc_support import UNKNOWN_IDM, NfcSite, nfc_site_fixture  # noqa: F401

TOKYO = ZoneInfo("Asia/Tokyo")


def unknown_touches(session: Session, nfc_site: NfcSite, *days: str) -> list[str]:
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "card_uid": UNKNOWN_IDM,
            "occurred_at": f"{d}T08:00:00+09:00",
        }
        for d in days
    ]
    result = ingest_touches(
        session, site_id=nfc_site.site.id, device="reader-1", items=events, tz=TOKYO
    )
    assert result.accepted == len(days)
    return [e["event_id"] for e in events]


def test_linking_a_card_gives_the_worker_its_earlier_touches(
    app: Flask, redis_conn: Redis, db_session: Session, nfc_site: NfcSite
) -> None:
    # (`app` first: it installs the after-commit dispatch on the session factory)
    unknown_touches(db_session, nfc_site, "2025-04-01", "2025-04-02")
    newcomer = make_worker(db_session, name="鈴木 次郎")
    problem = db_session.scalars(select(WorkException)).one()
    assert problem.kind == "unknown_card" and problem.status == "open"

    result = link_card(db_session, f"f:{UNKNOWN_IDM.lower()}", newcomer.id, "office@genba.test")
    db_session.commit()

    assert result.identifier == f"F:{UNKNOWN_IDM}" and result.events_linked == 2
    assert result.exceptions_resolved == [problem.id]
    site_id = nfc_site.site.id
    assert result.days == [(site_id, date(2025, 4, 1)), (site_id, date(2025, 4, 2))]
    events = db_session.scalars(select(Event).where(Event.card_uid == f"F:{UNKNOWN_IDM}")).all()
    assert {e.worker_id for e in events} == {newcomer.id}
    db_session.refresh(problem)
    assert (problem.status, problem.reason_code) == ("resolved", "card_not_registered")
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"link_card", "resolve_exception"} <= actions
    flush_deferred()
    for day in (date(2025, 4, 1), date(2025, 4, 2)):
        assert redis_conn.exists(f"rq:job:{reconcile_job_id(site_id, day)}")
    # A later touch of the card now belongs to the worker at once.
    later = ingest_touches(
        db_session,
        site_id=nfc_site.site.id,
        device="reader-1",
        items=[
            {"event_id": "later-1", "card_uid": UNKNOWN_IDM, "occurred_at": "2025-04-03T08:00Z"}
        ],
        tz=TOKYO,
    )
    assert later.workers == {"later-1": "鈴木 次郎"}


def test_a_card_of_another_worker_is_refused(db_session: Session, nfc_site: NfcSite) -> None:
    other = make_worker(db_session)
    with pytest.raises(ValidationFailed) as info:
        link_card(db_session, "0123456789ABCDEF", other.id, "office")
    assert info.value.problems[0].field == "card_uid"


def test_linking_a_phone_gives_the_worker_its_earlier_calls(
    db_session: Session, nfc_site: NfcSite
) -> None:
    caller = "+819011112222"
    call = record_event(
        db_session,
        external_id="call:CA123",
        source="phone",
        site_id=nfc_site.site.id,
        occurred_at=datetime(2025, 4, 1, 23, 0, tzinfo=UTC),
        tz=TOKYO,
        caller_e164=caller,
    ).event
    raise_exception(
        db_session,
        kind="unknown_caller",
        dedupe_key=f"unknown_caller:{nfc_site.site.id}:{caller}",
        site_id=nfc_site.site.id,
        work_date=call.work_date,
        detail={"caller_e164": caller},
    )
    worker = make_worker(db_session)
    result = link_phone(db_session, "090-1111-2222", worker.id, "office")
    assert (result.identifier, result.event_ids) == (caller, [call.id])
    assert result.days == [(nfc_site.site.id, date(2025, 4, 2))]
    db_session.refresh(call)
    assert call.worker_id == worker.id
    resolved = db_session.get(WorkException, result.exceptions_resolved[0])
    assert resolved is not None and resolved.reason_code == "phone_not_linked"
    audit = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "link_phone")).one()
    assert caller not in str(audit.detail)  # masked


def test_link_card_from_the_command_line(
    app: Flask, db_session: Session, nfc_site: NfcSite
) -> None:
    unknown_touches(db_session, nfc_site, "2025-04-01")
    worker = make_worker(db_session, ccus_worker_id="12345678901234")
    runner = app.test_cli_runner()
    done = runner.invoke(cli, ["link-card", UNKNOWN_IDM, "--ccus-id", "12345678901234"])
    assert done.exit_code == 0, done.output
    assert "1 件のタッチ touches linked" in done.output
    event = db_session.scalars(select(Event).where(Event.card_uid == f"F:{UNKNOWN_IDM}")).one()
    assert event.worker_id == worker.id
    refused = runner.invoke(cli, ["link-card", "XYZ", "--worker", str(worker.id)])
    assert refused.exit_code == 1 and "card_uid" in refused.output
    usage = runner.invoke(cli, ["link-card", UNKNOWN_IDM])
    assert usage.exit_code == 2
