"""The day rules through the real webhooks and the touch API, then reconciliation, on
PostgreSQL: the early second call, the forgotten exit, the site hop, and the old behaviour
back with GENBA_EXIT_CONFIRM_S=0 and GENBA_MAX_SHIFT_H=25."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr_flows.days import DayRules
from jobs.reconcile import reconcile
from voice_app import create_app
from workers_db.day_resolutions import resolve_site_hop, set_forgotten_exit
from workers_db.models import AuditEntry, WorkRecord
from workers_db.registration import add_card, add_crew_member, create_worker
from workers_db.settings import Settings
from workers_db.structure import add_site_company

from .helpers import bearer, make_site, make_token
from .ivr_support import (
    JST,
    MORNING,
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    build_world,
    clock_fixture,  # noqa: F401  (fixtures)
    events,
    exceptions,
    said,
    verbs,
)

CARD = "F:0123456789ABCDEF"
TODAY = MORNING.date()


@pytest.fixture(name="world")
def world_fixture(db_session: Session) -> Iterator[World]:
    yield build_world(db_session)


def app_with(
    settings: Settings, session_factory: sessionmaker[Session], clock: Clock, **overrides: int
) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(**overrides),
            "GENBA_SESSION_FACTORY": session_factory,
            "GENBA_CLOCK": clock,
        }
    )


@pytest.fixture(name="app_new")
def app_new_fixture(
    settings: Settings, session_factory: sessionmaker[Session], redis_conn: Redis, clock: Clock
) -> Flask:
    return app_with(settings, session_factory, clock)


@pytest.fixture(name="twilio")
def twilio_fixture(app_new: Flask) -> Twilio:
    return Twilio(app_new.test_client())


def run_reconcile(session: Session, settings: Settings, site_ids: list[int]) -> None:
    for site_id in site_ids:
        reconcile(
            session,
            site_id,
            TODAY - timedelta(days=2),
            TODAY + timedelta(days=2),
            rules=DayRules.of(settings),
            now=MORNING + timedelta(days=3),
        )


def records(session: Session, worker_id: int) -> list[tuple[int, date, str, str | None, bool]]:
    rows = session.scalars(
        select(WorkRecord)
        .where(WorkRecord.worker_id == worker_id)
        .order_by(WorkRecord.work_date, WorkRecord.site_id)
    )
    return [
        (
            r.site_id,
            r.work_date,
            f"{r.first_in.astimezone(JST):%H:%M}" if r.first_in else "-",
            f"{r.last_out.astimezone(JST):%H:%M}" if r.last_out else None,
            r.countable,
        )
        for r in rows
    ]


# ---------------------------------------------------------------- story 1: early second call


def test_an_unsure_second_call_asks_and_records_nothing_without_key_2(
    twilio: Twilio, world: World, db_session: Session, clock: Clock, settings: Settings
) -> None:
    first = twilio.call(TANAKA, SITE_NUMBER)
    assert "入場を記録しました" in said(first.start())[0]
    clock.advance(minutes=15)  # 8:00: "did it work?"
    call = twilio.call(TANAKA, SITE_NUMBER)
    root = call.start()
    assert said(root) == [
        "タナカ イチロウさん、7時45分の入場は記録済みです。",
        "退場を記録するときは、2を押してください。",
    ]
    assert verbs(root) == ["Gather", "Redirect"]
    end = call.silence(root)
    assert said(end) == ["退場は記録していません。失礼します。"] and verbs(end) == ["Say", "Hangup"]
    other = twilio.call(TANAKA, SITE_NUMBER)
    assert said(other.press(other.start(), "9")) == ["退場は記録していません。失礼します。"]
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == ["entry"]
    run_reconcile(db_session, settings, [world.site.id])
    assert records(db_session, world.tanaka.id) == [(world.site.id, TODAY, "07:45", None, True)]

    clock.advance(minutes=20)  # 8:20: he really leaves
    call = twilio.call(TANAKA, SITE_NUMBER)
    done = call.press(call.start(), "2")
    assert said(done) == ["タナカ イチロウさん、8時20分、退場を記録しました。お疲れさまでした。"]
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "exit",
    ]
    run_reconcile(db_session, settings, [world.site.id])
    assert records(db_session, world.tanaka.id) == [(world.site.id, TODAY, "07:45", "08:20", True)]


def test_an_english_speaker_hears_the_question_in_english(
    twilio: Twilio, world: World, db_session: Session, clock: Clock
) -> None:
    world.tanaka.language = "en"
    db_session.commit()
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.advance(minutes=15)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert said(root) == [
        "Tanaka Ichiro, your entry at 7:45 a.m. is already recorded.",
        "To record your exit now, press 2.",
    ]


# ---------------------------------------------------------------- story 2: forgotten exit


def touch(app: Flask, token: str, at: datetime, event_id: str) -> None:
    body = {"events": [{"event_id": event_id, "card_uid": CARD, "occurred_at": at.isoformat()}]}
    answer = app.test_client().post("/api/v1/touches", json=body, headers=bearer(token))
    assert answer.status_code == 200 and answer.json["accepted"] == 1, answer.json


def test_a_forgotten_exit_makes_the_morning_call_a_new_days_entry(
    app_new: Flask,
    twilio: Twilio,
    world: World,
    db_session: Session,
    clock: Clock,
    settings: Settings,
) -> None:
    worker = world.tanaka
    add_card(db_session, worker.id, CARD)
    token = make_token(db_session, "device", site_id=world.site.id, device_name="gate")
    db_session.commit()
    day1 = MORNING.replace(hour=6, minute=20) - timedelta(days=1)
    touch(app_new, token, day1, "t-1")  # 06:20 yesterday, and no exit
    clock.now = MORNING.replace(hour=5, minute=50)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert said(root)[0] == (
        "タナカ イチロウさん、昨日6時20分の入場のあと、退場が記録されていません。"
        "今日の入場を5時50分に記録しました。"
    )
    clock.now = MORNING.replace(hour=17, minute=30)
    evening = twilio.call(TANAKA, SITE_NUMBER).start()
    assert said(evening)[0] == (
        "タナカ イチロウさん、17時30分、退場を記録しました。お疲れさまでした。"
    )
    run_reconcile(db_session, settings, [world.site.id])
    assert records(db_session, worker.id) == [
        (world.site.id, TODAY - timedelta(days=1), "06:20", None, True),
        (world.site.id, TODAY, "05:50", "17:30", True),
    ]
    [no_exit] = exceptions(db_session, "no_exit")
    entry = events(db_session, worker_id=worker.id, source="nfc")[0]
    assert (no_exit.event_id, no_exit.work_date, no_exit.status) == (
        entry.id,
        TODAY - timedelta(days=1),
        "open",
    )

    # One click in the office: he left at 15:00 that day.
    clock.now = MORNING
    set_forgotten_exit(
        db_session, no_exit.id, day1.replace(hour=15, minute=0), "site_admin:test", JST
    )
    db_session.commit()
    run_reconcile(db_session, settings, [world.site.id])
    assert records(db_session, worker.id)[0] == (
        world.site.id,
        TODAY - timedelta(days=1),
        "06:20",
        "15:00",
        True,
    )
    db_session.refresh(no_exit)
    assert (no_exit.status, no_exit.reason_code) == ("resolved", "exit_time_set")
    assert db_session.scalar(
        select(AuditEntry.action).where(AuditEntry.object_id == str(no_exit.id))
    ) == ("resolve_exception")


# ---------------------------------------------------------------- story 3: site hopping


def test_three_sites_within_16_seconds_raise_overlapping_sites_until_the_office_decides(
    twilio: Twilio, world: World, db_session: Session, clock: Clock, settings: Settings
) -> None:
    numbers = ["+81312340011", "+81312340012"]
    sites = [world.site]
    for code, number in zip(("3456", "4567"), numbers, strict=True):
        site = make_site(db_session, world.prime, code=code, dial_in_number=number)
        add_site_company(
            db_session, site.id, world.sub.id, parent_company_id=world.prime.id, tier=1
        )
        sites.append(site)
    db_session.commit()
    for number in (SITE_NUMBER, *numbers):
        assert "入場を記録しました" in said(twilio.call(TANAKA, number).start())[0]
        clock.advance(seconds=8)
    ids = [s.id for s in sites]
    run_reconcile(db_session, settings, ids)
    assert records(db_session, world.tanaka.id) == [(i, TODAY, "07:45", None, True) for i in ids]
    hops = exceptions(db_session, "overlapping_sites")
    assert sorted((x.site_id, x.status) for x in hops) == [(i, "open") for i in ids]
    first = next(x for x in hops if x.site_id == ids[0])
    assert [(h["other_site_id"], h["other_at"]) for h in first.detail["hops"]] == [
        (ids[1], "2025-06-01T22:45:08+00:00"),
        (ids[2], "2025-06-01T22:45:16+00:00"),
    ]
    assert {h["at"] for h in first.detail["hops"]} == {"2025-06-01T22:45:00+00:00"}

    # The office of the third site: he was not here.  The first site's: he was.
    third = next(x for x in hops if x.site_id == ids[2])
    resolve_site_hop(db_session, third.id, keep=False, actor="site_admin:c")
    resolve_site_hop(db_session, first.id, keep=True, actor="site_admin:a")
    db_session.commit()
    run_reconcile(db_session, settings, ids)
    assert records(db_session, world.tanaka.id) == [
        (i, TODAY, "07:45", None, True) for i in ids[:2]
    ]
    statuses = {
        x.site_id: (x.status, x.reason_code) for x in exceptions(db_session, "overlapping_sites")
    }
    assert statuses == {
        ids[0]: ("resolved", "site_kept"),
        ids[1]: ("open", None),
        ids[2]: ("resolved", "site_dropped"),
    }
    audited = db_session.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "resolve_exception")
    ).all()
    assert sorted(a["reason_code"] for a in audited) == ["site_dropped", "site_kept"]


# ---------------------------------------------------------------- the old behaviour, on demand


def test_the_old_behaviour_is_back_with_no_question_and_a_25_hour_shift(
    settings: Settings,
    session_factory: sessionmaker[Session],
    redis_conn: Redis,
    clock: Clock,
    world: World,
    db_session: Session,
) -> None:
    old = settings.with_overrides(exit_confirm_s=0, max_shift_h=25)
    twilio = Twilio(
        app_with(settings, session_factory, clock, exit_confirm_s=0, max_shift_h=25).test_client()
    )
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.advance(minutes=15)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert "退場を記録しました" in said(root)[0]  # no question
    clock.now = MORNING + timedelta(days=1, minutes=-60)
    twilio.call(TANAKA, SITE_NUMBER).start()  # 6:45 next day: an entry (the day was closed)
    clock.now = MORNING + timedelta(days=2, minutes=-90)  # 6:15 the day after: 23.5 h later
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert "夜間作業です" in said(root)[0]  # the old overnight exit
    run_reconcile(db_session, old, [world.site.id])
    assert records(db_session, world.tanaka.id) == [
        (world.site.id, TODAY, "07:45", "08:00", True),
        (world.site.id, TODAY + timedelta(days=1), "06:45", "06:15", True),
    ]


# ---------------------------------------------------------------- a crew phone, the next day


def test_a_crew_phone_call_a_day_later_is_each_members_new_entry(
    twilio: Twilio, world: World, db_session: Session, clock: Clock, settings: Settings
) -> None:
    """Key 0 on a crew phone decides each member by the same day rules as a single caller:
    an entry 24 h old is past the longest shift, so the call is a new day's entry for all."""
    crew = [
        create_worker(db_session, name, world.sub.id, name_kana=kana, ccus_worker_id=ccus)
        for name, kana, ccus in (
            ("伊藤 翔", "イトウ ショウ", "22345678901234"),
            ("渡辺 大輔", "ワタナベ ダイスケ", "32345678901234"),
            ("山本 健", "ヤマモト ケン", "42345678901234"),
        )
    ]
    for member in crew:
        add_crew_member(db_session, TANAKA, member.id)
    db_session.commit()
    everyone = [world.tanaka, *crew]
    clock.now = MORNING - timedelta(days=1)  # yesterday 7:45: everyone in, nobody out
    call = twilio.call(TANAKA, SITE_NUMBER)
    call.press(call.start(), "0")
    clock.now = MORNING  # 24 h later: past the longest shift
    call = twilio.call(TANAKA, SITE_NUMBER)
    root = call.press(call.start(), "0")
    for worker in everyone:
        assert [e.direction for e in events(db_session, worker_id=worker.id)] == [
            "entry",
            "entry",
        ], worker.name
    assert sum("退場が記録されていません" in line for line in said(root)) == len(everyone)
    run_reconcile(db_session, settings, [world.site.id])
    for worker in everyone:
        assert records(db_session, worker.id) == [
            (world.site.id, TODAY - timedelta(days=1), "07:45", None, True),
            (world.site.id, TODAY, "07:45", None, True),
        ], worker.name
    yesterday = TODAY - timedelta(days=1)
    no_exits = [e for e in exceptions(db_session, "no_exit") if e.work_date == yesterday]
    assert sorted(e.worker_id for e in no_exits) == sorted(w.id for w in everyone)
