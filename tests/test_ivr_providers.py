"""The call flow's public behaviours through both providers: signed Twilio form posts
following the TwiML, and JWT-signed Vonage JSON posts following the NCCO.  Same flow, same
records; only the rendering differs (and `reject`: Vonage cannot leave a call unanswered)."""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from voice_app import create_app
from voice_app.vonage.security import sign
from workers_db.models import WorkRecord
from workers_db.settings import Settings

from .conftest import VONAGE_TEST_SECRET
from .ivr_support import (
    REJECT_NUMBER,
    SHARED_NUMBER,
    SITE_NUMBER,
    TANAKA,
    Clock,
    Twilio,
    World,
    clock_fixture,  # noqa: F401  (fixtures)
    events,
    exceptions,
    ivr_app_fixture,  # noqa: F401
    said,
    twilio_fixture,  # noqa: F401
    world_fixture,  # noqa: F401
)
from .vonage_support import Vonage, talked, vonage_fixture  # noqa: F401


@dataclass
class Heard:
    texts: list[str]
    languages: list[str]
    asks: bool  # a gather / an input follows
    rejected: bool  # <Reject/> on Twilio; an empty NCCO (the call ends at once) on Vonage
    raw: Any


def heard_twiml(root: ET.Element) -> Heard:
    return Heard(
        said(root),
        [s.get("language", "") for s in root.iter("Say")],
        root.find("Gather") is not None,
        root.find("Reject") is not None,
        root,
    )


def heard_ncco(ncco: list[dict[str, Any]]) -> Heard:
    return Heard(
        talked(ncco),
        [a["language"] for a in ncco if a["action"] == "talk"],
        any(a["action"] == "input" for a in ncco),
        ncco == [],
        ncco,
    )


class Phone:
    """One call on either provider."""

    def __init__(self, driver: Twilio | Vonage, from_: str, to: str, sid: str | None = None):
        self.call: Any = driver.call(from_, to, sid)
        self.twilio = isinstance(driver, Twilio)

    def _wrap(self, answer: Any) -> Heard:
        return heard_twiml(answer) if self.twilio else heard_ncco(answer)

    def start(self) -> Heard:
        return self._wrap(self.call.start())

    def press(self, heard: Heard, keys: str) -> Heard:
        return self._wrap(self.call.press(heard.raw, keys))

    def silence(self, heard: Heard) -> Heard:
        return self._wrap(self.call.silence(heard.raw))


@pytest.fixture(params=["twilio", "vonage"])
def driver(request: pytest.FixtureRequest, twilio: Twilio, vonage: Vonage) -> Twilio | Vonage:
    return twilio if request.param == "twilio" else vonage


def test_1_first_call_records_the_entry_before_answering_with_no_key(
    driver: Twilio | Vonage, world: World, db_session: Session
) -> None:
    heard = Phone(driver, TANAKA, SITE_NUMBER).start()
    [event] = events(db_session, worker_id=world.tanaka.id)
    assert event.direction == "entry" and event.source == "phone"
    assert heard.texts[0] == "タナカ イチロウさん、7時45分、入場を記録しました。"
    assert heard.languages[0] == "ja-JP"


def test_2_and_3_repeat_then_exit(
    driver: Twilio | Vonage, world: World, db_session: Session, clock: Clock
) -> None:
    Phone(driver, TANAKA, SITE_NUMBER).start()
    clock.advance(seconds=60)
    heard = Phone(driver, TANAKA, SITE_NUMBER).start()
    assert "7時45分に記録済みです" in heard.texts[0]
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    clock.advance(hours=9)
    heard = Phone(driver, TANAKA, SITE_NUMBER).start()
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "exit",
    ]
    assert "退場を記録しました" in heard.texts[0]


def test_8_an_early_second_call_asks_and_only_key_2_records_the_exit(
    driver: Twilio | Vonage, world: World, db_session: Session, clock: Clock
) -> None:
    Phone(driver, TANAKA, SITE_NUMBER).start()
    clock.advance(minutes=15)
    unsure = Phone(driver, TANAKA, SITE_NUMBER)
    heard = unsure.start()
    assert heard.asks and heard.texts == [
        "タナカ イチロウさん、7時45分の入場は記録済みです。",
        "退場を記録するときは、2を押してください。",
    ]
    assert unsure.silence(heard).texts == ["退場は記録していません。失礼します。"]
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    sure = Phone(driver, TANAKA, SITE_NUMBER)
    assert "退場を記録しました" in sure.press(sure.start(), "2").texts[0]
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "exit",
    ]


def test_9_the_call_after_a_forgotten_exit_is_a_new_days_entry(
    driver: Twilio | Vonage, world: World, db_session: Session, clock: Clock
) -> None:
    Phone(driver, TANAKA, SITE_NUMBER).start()  # 7:45, and no exit
    clock.advance(hours=23)  # 6:45 the next morning
    heard = Phone(driver, TANAKA, SITE_NUMBER).start()
    assert heard.texts[0] == (
        "タナカ イチロウさん、昨日7時45分の入場のあと、退場が記録されていません。"
        "今日の入場を6時45分に記録しました。"
    )
    assert [e.direction for e in events(db_session, worker_id=world.tanaka.id)] == [
        "entry",
        "entry",
    ]


def test_4_a_shared_number_asks_the_site_code_three_times(
    driver: Twilio | Vonage, world: World, db_session: Session
) -> None:
    phone = Phone(driver, TANAKA, SHARED_NUMBER)
    heard = phone.start()
    assert heard.asks and "現場番号" in heard.texts[0]
    heard = phone.press(heard, "9999#")
    assert heard.asks and "見つかりませんでした" in heard.texts[0]
    heard = phone.silence(heard)  # silence counts as a try
    heard = phone.press(heard, "8888#")
    assert not heard.asks and "確認できませんでした" in heard.texts[0]
    assert events(db_session) == []
    phone = Phone(driver, TANAKA, SHARED_NUMBER)
    phone.press(phone.start(), "1234#")
    assert events(db_session, worker_id=world.tanaka.id)[0].site_id == world.site.id


def test_5_an_unknown_caller_is_recorded_without_a_worker(
    driver: Twilio | Vonage, world: World, db_session: Session
) -> None:
    heard = Phone(driver, "+819099990000", SITE_NUMBER).start()
    assert "登録されていません" in heard.texts[0] and heard.asks
    [event] = events(db_session)
    assert event.worker_id is None and event.caller_e164 == "+819099990000"
    [exc] = exceptions(db_session, "unknown_caller")
    assert exc.site_id == world.site.id


def test_6_reject_mode_records_and_ends_at_once(
    driver: Twilio | Vonage, world: World, db_session: Session
) -> None:
    heard = Phone(driver, TANAKA, REJECT_NUMBER).start()
    assert heard.rejected and heard.texts == []
    [event] = events(db_session, worker_id=world.tanaka.id)
    assert event.site_id == world.reject_site.id and event.direction == "entry"


def test_7_a_retried_webhook_records_nothing_twice(
    driver: Twilio | Vonage, world: World, db_session: Session
) -> None:
    sid = "retry-0001" if isinstance(driver, Vonage) else "CA" + "7" * 32
    first = Phone(driver, TANAKA, SITE_NUMBER, sid).start()
    again = Phone(driver, TANAKA, SITE_NUMBER, sid).start()
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1
    assert again.texts == first.texts


def test_11_key_4_reads_back_the_month_and_records_nothing(
    driver: Twilio | Vonage, world: World, db_session: Session
) -> None:
    world.tanaka.kentaikyo = True
    db_session.add(
        WorkRecord(worker_id=world.tanaka.id, site_id=world.site.id, work_date=date(2025, 6, 1),
                   sources="phone", countable=True, event_count=1)
    )  # fmt: skip
    db_session.commit()
    phone = Phone(driver, TANAKA, SITE_NUMBER)
    heard = phone.press(phone.press(phone.start(), "9"), "4")
    assert heard.texts[:2] == [
        f"タナカ イチロウさんの今月の就業履歴は、全部の現場で1日です。"
        f"最後は6月1日、{world.site.name}です。",
        "建退共の見込みは320円です。",
    ]
    assert not heard.asks
    assert len(events(db_session, worker_id=world.tanaka.id)) == 1  # the entry only


def test_vonage_reads_each_language_with_its_talk_language(
    vonage: Vonage, world: World, db_session: Session
) -> None:
    world.tanaka.language = "th"
    db_session.commit()
    ncco = vonage.call(TANAKA, SITE_NUMBER).start()
    assert [a["language"] for a in ncco if a["action"] == "talk"] == ["th-TH", "th-TH"]
    assert all(a.get("bargeIn") for a in ncco if a["action"] == "talk")
    [ask] = [a for a in ncco if a["action"] == "input"]
    assert ask["dtmf"]["maxDigits"] == 1 and ask["eventMethod"] == "POST"


@pytest.mark.parametrize(
    "token",
    [
        "",  # missing
        "not-a-jwt",
        sign(b"{}", "another-secret-of-at-least-32-bytes", 1748817900),  # forged: another key
        "expired",
        "wrong-hash",
    ],
)
def test_vonage_without_a_valid_jwt_gets_403_and_records_nothing(
    vonage: Vonage, world: World, db_session: Session, clock: Clock, token: str
) -> None:
    call = vonage.call(TANAKA, SITE_NUMBER)
    raw = json.dumps(call.body()).encode()
    now = int(clock.now.timestamp())
    if token == "expired":
        token = sign(raw, VONAGE_TEST_SECRET, now - 301)
    elif token == "wrong-hash":
        token = sign(b'{"from": "819000000000"}', VONAGE_TEST_SECRET, now)
    response = vonage.post("/vonage/answer", call.body(), token=token)
    assert response.status_code == 403
    assert events(db_session) == []
    assert vonage.post("/vonage/answer", call.body()).status_code == 200  # a good one works


def test_vonage_without_a_secret_refuses_everything(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    world: World,
    db_session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(vonage_signature_secret=None),
            "GENBA_SESSION_FACTORY": session_factory,
            "GENBA_CLOCK": clock,
        }
    )
    vonage = Vonage(app.test_client(), clock)  # signs with the test secret all the same
    call = vonage.call(TANAKA, SITE_NUMBER)
    with caplog.at_level(logging.WARNING):
        for path in ("/vonage/answer", "/vonage/input/1", "/vonage/event"):
            assert vonage.post(path, call.body()).status_code == 403
    assert "VONAGE_SIGNATURE_SECRET is not set" in caplog.text
    assert events(db_session) == []
