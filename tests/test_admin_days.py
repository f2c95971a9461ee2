"""The office's side of the day rules, through the admin UI on PostgreSQL: the board marks
a forgotten exit, an early second call that recorded nothing, and a site hop on the right
day; the exceptions queue sets the exit time of the forgotten day and keeps or drops a
hopped site's day, each with its reason code and audit row."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from workers_db.intake import record_event
from workers_db.models import AuditEntry, CallLog, Event, WorkException, WorkRecord

from .admin_support import CSRF, TOKYO, World, early_today, login_as, world_fixture  # noqa: F401
from .reconcile_support import RULES


def post(client: FlaskClient, url: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": CSRF, **data})


def reconcile_all(session: Session, world: World) -> None:
    today = datetime.now(TOKYO).date()
    for site in (world.a.site, world.b.site):
        reconcile(
            session,
            site.id,
            today - timedelta(days=2),
            today,
            rules=RULES,
            now=early_today() + timedelta(hours=1),  # today's own entries are not over yet
        )


def exception_of(session: Session, kind: str, site_id: int) -> WorkException:
    row = session.scalar(
        select(WorkException).where(WorkException.kind == kind, WorkException.site_id == site_id)
    )
    assert row is not None, kind
    return row


def test_a_forgotten_exit_is_marked_on_its_day_and_its_exit_time_set_in_one_click(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    side = world.a
    yesterday = datetime.now(TOKYO).date() - timedelta(days=1)
    entry_at = datetime.combine(yesterday, time(6, 0), tzinfo=TOKYO)
    record_event(
        db_session,
        external_id="test:forgotten",
        source="nfc",
        site_id=side.site.id,
        occurred_at=entry_at,
        tz=TOKYO,
        worker_id=side.worker.id,
    )
    reconcile_all(db_session, world)
    no_exit = exception_of(db_session, "no_exit", side.site.id)
    assert no_exit.work_date == yesterday
    login_as(client, side.users["site_admin"])
    board = client.get(f"/admin/sites/{side.site.id}/board?date={yesterday}").get_data(True)
    assert "退場未記録" in board
    today_board = client.get(f"/admin/sites/{side.site.id}/board").get_data(True)
    assert "退場未記録" not in today_board  # the right day only
    page = client.get(f"/admin/exceptions?site_id={side.site.id}&kind=no_exit").get_data(True)
    assert "退場時刻を設定" in page and "次の記録" in page

    assert (
        post(client, f"/admin/exceptions/{no_exit.id}/exit-time", exit_time="05:00").status_code
        == 302
    )
    db_session.refresh(no_exit)
    assert no_exit.status == "open"  # before the entry: refused, nothing written
    answer = post(client, f"/admin/exceptions/{no_exit.id}/exit-time", exit_time="15:30")
    assert answer.status_code == 302
    db_session.refresh(no_exit)
    assert (no_exit.status, no_exit.reason_code) == ("resolved", "exit_time_set")
    [manual] = db_session.scalars(
        select(Event).where(Event.source == "manual", Event.worker_id == side.worker.id)
    ).all()
    assert (
        manual.direction == "exit" and manual.approved_by == f"user:{side.users['site_admin'].id}"
    )
    assert manual.occurred_at == datetime.combine(yesterday, time(15, 30), tzinfo=TOKYO)
    assert db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "resolve_exception", AuditEntry.object_id == str(no_exit.id)
        )
    )
    reconcile_all(db_session, world)
    record = db_session.scalar(
        select(WorkRecord).where(
            WorkRecord.worker_id == side.worker.id, WorkRecord.work_date == yesterday
        )
    )
    assert record is not None and record.last_out == manual.occurred_at
    # another site's office cannot touch it
    login_as(client, world.b.users["site_admin"])
    assert (
        post(client, f"/admin/exceptions/{no_exit.id}/exit-time", exit_time="16:00").status_code
        == 403
    )


def test_an_early_second_call_that_recorded_nothing_shows_on_the_board(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    side = world.a
    db_session.add(
        CallLog(
            call_sid="CA-asked",
            site_id=side.site.id,
            worker_id=side.worker.id,
            outcome="exit_declined",
            started_at=early_today() + timedelta(minutes=20),
        )
    )
    db_session.flush()
    login_as(client, side.users["site_admin"])
    board = client.get(f"/admin/sites/{side.site.id}/board").get_data(True)
    assert "再架電・退場は未記録" in board


def test_a_hopped_site_is_kept_or_dropped_by_each_office(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    a, b = world.a, world.b
    record_event(
        db_session,
        external_id="test:hop",
        source="phone",
        site_id=b.site.id,
        occurred_at=early_today() + timedelta(seconds=16),
        tz=TOKYO,
        worker_id=a.worker.id,
        direction="entry",
    )
    reconcile_all(db_session, world)
    hop_a = exception_of(db_session, "overlapping_sites", a.site.id)
    hop_b = exception_of(db_session, "overlapping_sites", b.site.id)
    login_as(client, a.users["site_admin"])
    assert "他現場と重複" in client.get(f"/admin/sites/{a.site.id}/board").get_data(True)
    page = client.get(f"/admin/exceptions?site_id={a.site.id}&kind=overlapping_sites").get_data(
        True
    )
    assert "この現場で正しい" in page and "この現場にはいなかった" in page
    assert b.site.name not in page  # another prime's site is not named
    assert post(client, f"/admin/exceptions/{hop_a.id}/hop", keep="1").status_code == 302
    assert post(client, f"/admin/exceptions/{hop_b.id}/hop", keep="0").status_code == 403

    login_as(client, b.users["site_admin"])
    assert post(client, f"/admin/exceptions/{hop_b.id}/hop", keep="0").status_code == 302
    reconcile_all(db_session, world)
    for row in (hop_a, hop_b):
        db_session.refresh(row)
    assert (hop_a.status, hop_a.reason_code) == ("resolved", "site_kept")
    assert (hop_b.status, hop_b.reason_code) == ("resolved", "site_dropped")
    days = {
        r.site_id
        for r in db_session.scalars(select(WorkRecord).where(WorkRecord.worker_id == a.worker.id))
    }
    assert days == {a.site.id}  # the dropped day is gone, the kept one stays
    reasons = db_session.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "resolve_exception")
    ).all()
    assert sorted(r["reason_code"] for r in reasons) == ["site_dropped", "site_kept"]
