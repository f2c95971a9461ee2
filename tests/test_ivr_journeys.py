"""The detours of a call through the real webhooks: a crew phone, the menu, a company new to
the site's 施工体制, foreign-language speakers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workers_db.registration import add_crew_member, create_worker
from workers_db.structure import add_site_company

from .helpers import make_company
from .ivr_support import (
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    clock_fixture,  # noqa: F401  (fixtures)
    events,
    exceptions,
    ivr_app_fixture,  # noqa: F401
    languages,
    said,
    structure,
    twilio_fixture,  # noqa: F401
    verbs,
    world_fixture,  # noqa: F401
)


def test_a_foreman_checks_in_his_crew(twilio: Twilio, world: World, db_session: Session) -> None:
    crew = [
        create_worker(db_session, name, world.sub.id, name_kana=kana)
        for name, kana in (("伊藤 翔", "イトウ ショウ"), ("渡辺 大輔", "ワタナベ ダイスケ"))
    ]
    for member in crew:
        add_crew_member(db_session, TANAKA, member.id)
    call = twilio.call(TANAKA, SITE_NUMBER)
    root = call.start()
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert verbs(root) == ["Gather", "Redirect"]
    assert "ワタナベ ダイスケさんは3" in said(root)[0]
    call.press(root, "0")
    recorded = {e.worker_id for e in events(db_session) if e.direction == "entry"}
    assert recorded == {world.tanaka.id, crew[0].id, crew[1].id}


def test_the_menu_records_the_chosen_direction_and_tells_the_office(
    twilio: Twilio, world: World, db_session: Session, clock: Clock
) -> None:
    call = twilio.call(TANAKA, SITE_NUMBER)
    root = call.press(call.start(), "9")  # a key during the confirmation
    assert "入場の記録は1、退場の記録は2" in said(root)[0]
    root = call.press(root, "2")
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "exit",
    ]
    [exc] = exceptions(db_session, "correction_requested")
    assert exc.detail["automatic"] == "entry" and exc.worker_id == world.tanaka.id
    clock.advance(hours=2)
    call = twilio.call(TANAKA, SITE_NUMBER)
    root = call.press(call.press(call.start(), "9"), "3")
    # the menu's exit came within the repeat window of the entry, so the day is still open
    # (as reconciliation sees it) and this call is the exit
    assert "タナカ イチロウさんの今日の記録は、入場7時45分、退場7時45分、退場9時45分です。" in said(
        root
    )


def test_a_company_new_to_the_site_joins_its_structure_unconfirmed(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    newco = make_company(db_session, "新規設備工業")
    # Known from pre-registration at another site of the same prime: tier 2 under 山田鉄筋.
    add_site_company(db_session, world.reject_site.id, newco.id, world.sub.id, tier=2)
    first = create_worker(db_session, "新井 一", newco.id, phones=["+819055550005"])
    second = create_worker(db_session, "新井 二", newco.id, phones=["+819055550006"])
    own = create_worker(db_session, "元請 太郎", world.prime.id, phones=["+819033330003"])
    for phone in ("+819055550005", "+819055550006", "+819033330003"):
        twilio.call(phone, SITE_NUMBER).start()
    assert {e.worker_id for e in events(db_session)} == {first.id, second.id, own.id}
    edge = structure(db_session, world.site.id, newco.id)
    assert edge is not None and (edge.source, edge.confirmed) == ("call", False)
    assert (edge.tier, edge.parent_company_id) == (2, world.sub.id)
    [exc] = exceptions(db_session, "company_not_in_structure")  # once per site and company
    assert (exc.worker_id, exc.site_id) == (first.id, world.site.id)


def test_english_and_vietnamese_speakers_hear_their_language(
    twilio: Twilio, world: World, db_session: Session
) -> None:
    create_worker(db_session, "John Smith", world.sub.id, phones=["+819066660006"], language="en")
    create_worker(
        db_session,
        "Nguyễn Văn An",
        world.sub.id,
        name_kana="グエン ヴァン アン",
        phones=["+819077770007"],
        language="vi",
    )
    english = twilio.call("+819066660006", SITE_NUMBER).start()
    assert set(languages(english)) == {"en-US"}
    assert "John Smith, your entry at 7:45 a.m. is recorded." in said(english)
    vietnamese = twilio.call("+819077770007", SITE_NUMBER).start()
    assert set(languages(vietnamese)) == {"vi-VN"}
    assert "Nguyễn Văn An, đã ghi nhận giờ vào lúc 7 giờ 45 phút." in said(vietnamese)


def test_an_owner_listed_as_crew_of_their_own_phone_is_one_worker(
    twilio: Twilio, world: World, db_session: Session, clock: Clock
) -> None:
    add_crew_member(db_session, TANAKA, world.tanaka.id)
    twilio.call(TANAKA, SITE_NUMBER).start()
    clock.advance(hours=8)
    root = twilio.call(TANAKA, SITE_NUMBER).start()
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "exit",
    ]
    assert verbs(root) == ["Gather", "Hangup"]  # not asked "which of you"
