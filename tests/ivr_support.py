"""Driving the voice webhooks the way Twilio does: signed form posts, following the TwiML.

`Twilio(client).call(from_, to)` places a call; `start()`, `press(root, keys)` and
`silence(root)` return the parsed `<Response>` of each step, so tests assert on elements and
attributes (xml.etree), never on the raw text.

Fixtures (import the `*_fixture` functions into a test module): `clock`, `ivr_app`, `twilio`,
`world`.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from voice_app import create_app
from workers_db.models import Company, Event, Site, SiteCompany, Worker, WorkException
from workers_db.registration import create_worker
from workers_db.settings import Settings
from workers_db.structure import add_site_company

from .conftest import PUBLIC_BASE_URL, TWILIO_TEST_TOKEN
from .helpers import make_company, make_site

JST = ZoneInfo("Asia/Tokyo")
MORNING = datetime(2025, 6, 2, 7, 45, tzinfo=JST)  # a Monday, before the 8:00 朝礼

SITE_NUMBER = "+81312340001"
REJECT_NUMBER = "+81312340002"
SHARED_NUMBER = "+81312349999"  # no site's number: callers key the site code
TANAKA = "+819011110001"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"CA{next(_sids):032x}"


class Clock:
    """The webhooks' clock (`GENBA_CLOCK`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def sign(url: str, params: Mapping[str, str], token: str = TWILIO_TEST_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, dict(params))


class Twilio:
    def __init__(self, client: FlaskClient, base: str = PUBLIC_BASE_URL) -> None:
        self.client = client
        self.base = base

    def post(
        self,
        path: str,
        params: Mapping[str, str],
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ):  # type: ignore[no-untyped-def]
        sig = signature if signature is not None else sign(self.base + path, params)
        all_headers = {"X-Twilio-Signature": sig, **(headers or {})}
        if signature == "":
            all_headers.pop("X-Twilio-Signature")
        return self.client.post(path, data=dict(params), headers=all_headers)

    def call(self, from_: str, to: str, sid: str | None = None) -> Call:
        return Call(self, from_, to, sid or new_sid())


@dataclass
class Call:
    twilio: Twilio
    from_: str
    to: str
    sid: str
    path: str = "/twilio/voice"

    def params(self, **extra: str) -> dict[str, str]:
        base = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.from_,
            "To": self.to,
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        return {**base, **extra}

    def _go(self, path: str, **extra: str) -> ET.Element:
        self.path = path
        response = self.twilio.post(path, self.params(**extra))
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        return ET.fromstring(response.data)

    def start(self) -> ET.Element:
        return self._go("/twilio/voice", CallStatus="ringing")

    def press(self, root: ET.Element, keys: str) -> ET.Element:
        gather = root.find("Gather")
        assert gather is not None, "no <Gather> to answer"
        return self._go(_relative(self.path, gather.get("action") or self.path), Digits=keys)

    def silence(self, root: ET.Element) -> ET.Element:
        redirect = root.find("Redirect")
        assert redirect is not None, "silence needs a <Redirect> after the <Gather>"
        return self._go(_relative(self.path, redirect.text or ""))


def _relative(current: str, target: str) -> str:
    return urljoin(current, target)


def said(root: ET.Element) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


def languages(root: ET.Element) -> list[str]:
    return [say.get("language", "") for say in root.iter("Say")]


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def events(session: Session, **where: object) -> list[Event]:
    stmt = select(Event).order_by(Event.id)
    for column, value in where.items():
        stmt = stmt.where(getattr(Event, column) == value)
    return list(session.scalars(stmt))


def exceptions(session: Session, kind: str) -> list[WorkException]:
    return list(
        session.scalars(
            select(WorkException).where(WorkException.kind == kind).order_by(WorkException.id)
        )
    )


@dataclass
class World:
    prime: Company
    sub: Company
    site: Site
    reject_site: Site
    tanaka: Worker


def build_world(session: Session) -> World:
    """A prime, a first-tier subcontractor, two sites with dial-in numbers (one answering
    with `<Reject/>`) and a worker with a phone, a kana name, a CCUS id and a PIN."""
    prime = make_company(session, "元請建設")
    sub = make_company(session, "山田鉄筋工業")
    site = make_site(session, prime, code="1234", dial_in_number=SITE_NUMBER)
    reject_site = make_site(
        session, prime, code="2345", dial_in_number=REJECT_NUMBER, answer_mode="reject"
    )
    for s in (site, reject_site):
        add_site_company(session, s.id, sub.id, parent_company_id=prime.id, tier=1)
    tanaka = create_worker(
        session,
        "田中 一郎",
        sub.id,
        name_kana="タナカ イチロウ",
        ccus_worker_id="12345678901234",
        phones=[TANAKA],
        pin="2468",
    )
    session.commit()
    return World(prime, sub, site, reject_site, tanaka)


def structure(session: Session, site_id: int, company_id: int) -> SiteCompany | None:
    return session.scalar(
        select(SiteCompany).where(
            SiteCompany.site_id == site_id, SiteCompany.company_id == company_id
        )
    )


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(MORNING)


@pytest.fixture(name="ivr_app")
def ivr_app_fixture(
    settings: Settings, session_factory: sessionmaker[Session], redis_conn: Redis, clock: Clock
) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings,
            "GENBA_SESSION_FACTORY": session_factory,
            "GENBA_CLOCK": clock,
        }
    )


@pytest.fixture(name="twilio")
def twilio_fixture(ivr_app: Flask) -> Twilio:
    return Twilio(ivr_app.test_client())


@pytest.fixture(name="world")
def world_fixture(db_session: Session) -> Iterator[World]:
    yield build_world(db_session)
