"""Menu key 4: the caller hears his own month against a seeded month, the same digits as the
statistics, nothing recorded, nobody else's days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs.stats import compute_stats
from workers_db.models import Event, WorkRecord
from workers_db.registration import create_worker
from workers_db.worker_month import month_figures

from .helpers import make_site
from .ivr_support import (
    JST,
    SITE_NUMBER,
    TANAKA,
    Twilio,
    World,
    clock_fixture,  # noqa: F401  (fixtures)
    ivr_app_fixture,  # noqa: F401
    said,
    twilio_fixture,  # noqa: F401
    world_fixture,  # noqa: F401
)

JUNE = date(2025, 6, 1)


def record(session: Session, worker_id: int, site_id: int, day: date, countable: bool) -> None:
    first_in = datetime(day.year, day.month, day.day, 8, 0, tzinfo=JST)
    session.add(
        WorkRecord(
            worker_id=worker_id,
            site_id=site_id,
            work_date=day,
            first_in=first_in,
            last_out=first_in + timedelta(hours=9),
            sources="phone" if countable else "roster",
            countable=countable,
            event_count=2,
        )
    )


def seed_month(session: Session, world: World) -> int:
    """Tanaka (in 建退共) has two countable days in June before the 2nd's call (two sites on
    the 1st), a countable day in May, a roster-only day; another worker one day at his site."""
    other_site = make_site(session, world.prime, code="7777", name="江東区倉庫改修工事")
    world.tanaka.kentaikyo = True
    stranger = create_worker(session, "鈴木 次郎", world.sub.id, ccus_worker_id="99999999999999")
    record(session, world.tanaka.id, world.site.id, date(2025, 5, 30), True)  # last month
    record(session, world.tanaka.id, world.site.id, date(2025, 6, 1), True)
    session.flush()
    record(session, world.tanaka.id, other_site.id, date(2025, 6, 1), True)  # later that day
    record(session, world.tanaka.id, world.site.id, date(2025, 5, 31), False)
    record(session, stranger.id, world.site.id, date(2025, 6, 1), True)
    session.commit()
    return other_site.id


def test_key_4_reads_back_the_callers_own_month_and_records_nothing(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    seed_month(db_session, world)
    call = twilio.call(TANAKA, SITE_NUMBER)
    root = call.start()  # 2 June 7:45: the entry is recorded (and not yet reconciled)
    before = db_session.scalar(select(func.count()).select_from(Event))
    root = call.press(root, "9")
    assert "今月の記録の確認は4" in said(root)[0]
    root = call.press(root, "4")
    heard = said(root)
    assert heard[0] == (
        "タナカ イチロウさんの今月の就業履歴は、全部の現場で2日です。"
        "最後は6月1日、江東区倉庫改修工事です。"
    )
    assert heard[1] == "建退共の見込みは640円です。"
    assert heard[-1] == "失礼します。" and root[-1].tag == "Hangup"
    assert db_session.scalar(select(func.count()).select_from(Event)) == before

    stats = compute_stats(
        db_session, company_id=world.sub.id, date_from=JUNE, date_to=date(2025, 6, 2), tz=JST
    )
    own = month_figures(db_session, [world.tanaka.id], JUNE, date(2025, 6, 2))[world.tanaka.id]
    # the company's figures minus the other worker's one day: the same rule, the same digits
    assert (own.days, own.kentaikyo_yen) == (2, 640)
    assert stats["work_history_count"] == own.days + 1


def test_the_month_is_in_the_workers_language_and_says_when_nothing_counts(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    nguyen = create_worker(
        db_session, "Nguyễn Văn An", world.sub.id, phones=["+819011110009"], language="vi",
        ccus_worker_id="12345678901299", kentaikyo=True,
    )  # fmt: skip
    record(db_session, nguyen.id, world.site.id, date(2025, 6, 1), True)
    unregistered = create_worker(
        db_session, "伊藤 翔", world.sub.id, name_kana="イトウ ショウ", phones=["+819011110010"]
    )
    db_session.commit()
    call = twilio.call("+819011110009", SITE_NUMBER)
    root = call.press(call.press(call.start(), "9"), "4")
    assert said(root)[:2] == [
        "Số ngày công tháng này của Nguyễn Văn An, ở tất cả công trường: 1 ngày. "
        "Ngày gần nhất là ngày 1 tháng 6, ở công trường 1 2 3 4.",
        "Tiền quỹ hưu trí Kentaikyo dự kiến: 320 yên.",
    ]
    call = twilio.call("+819011110010", SITE_NUMBER)
    root = call.press(call.press(call.start(), "9"), "4")
    assert said(root)[0].startswith("イトウ ショウさんは技能者IDが登録されていないため")
    assert unregistered.kentaikyo is False and len(said(root)) == 2  # no estimate, goodbye
