"""Fixtures of the admin UI tests: two prime contractors with one site each, a
subcontractor and a worker at each site, an event and an exception at each, and a user of
every role; plus signing a test client in without going through the login form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from time import time as unix_time
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from voice_app.admin.security import (
    SESSION_CSRF,
    SESSION_SINCE,
    SESSION_STAMP,
    SESSION_USER,
    session_stamp,
)
from workers_db.intake import raise_exception, record_event
from workers_db.models import AdminUser, Company, Site, Worker, WorkException
from workers_db.registration import (
    create_company,
    create_site,
    create_worker,
    hash_secret,
)
from workers_db.structure import add_site_company

from .helpers import make_token

PASSWORD = "correct horse battery"
CSRF = "test-csrf-token"
TOKYO = ZoneInfo("Asia/Tokyo")


def early_today() -> datetime:
    """A moment early in today's work date in Tokyo, whatever the hour the tests run at
    (an event "five minutes ago" would belong to yesterday just after midnight)."""
    now = datetime.now(TOKYO)
    return datetime.combine(now.date(), time(0, 1), tzinfo=TOKYO).astimezone(UTC)


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One Argon2 hash for every test user (hashing per user would cost seconds)."""
    return hash_secret(PASSWORD)


@dataclass
class Side:
    """One prime's world: its site, a subcontractor, a worker, an event and an exception."""

    prime: Company
    site: Site
    sub: Company
    worker: Worker
    exception: WorkException
    users: dict[str, AdminUser]
    token: str  # a site_admin API token of this site


@dataclass
class World:
    admin: AdminUser
    a: Side
    b: Side


def make_user(
    session: Session,
    email: str,
    role: str,
    site: Site | None = None,
    company: Company | None = None,
) -> AdminUser:
    user = AdminUser(
        email=email.lower(),
        password_hash=password_hash(),
        role=role,
        site_id=site.id if site else None,
        company_id=company.id if company else None,
    )
    session.add(user)
    session.flush()
    return user


def _side(session: Session, letter: str, code: str, dial_in: str, phone: str) -> Side:
    prime = create_company(session, f"元請建設{letter}", ccus_business_id=None)
    site = create_site(
        session,
        name=f"現場{letter}ビル新築",
        site_code=code,
        prime_company_id=prime.id,
        dial_in_number=dial_in,
    )
    sub = create_company(session, f"協力工業{letter}")
    add_site_company(session, site.id, sub.id, parent_company_id=prime.id, tier=1, source="admin")
    worker = create_worker(
        session,
        name=f"作業員{letter}",
        company_id=sub.id,
        name_kana=f"サギョウイン{letter}",
        phones=[phone],
    )
    record_event(
        session,
        external_id=f"test:{letter}:1",
        source="phone",
        site_id=site.id,
        occurred_at=early_today(),
        tz=TOKYO,
        worker_id=worker.id,
        direction="entry",
        caller_e164=phone,
    )
    unknown = record_event(
        session,
        external_id=f"test:{letter}:2",
        source="phone",
        site_id=site.id,
        occurred_at=early_today() + timedelta(seconds=30),
        tz=TOKYO,
        caller_e164=f"+8180{code}{code}",
    )
    exception = raise_exception(
        session,
        kind="unknown_caller",
        dedupe_key=f"test-unknown-{letter}",
        site_id=site.id,
        event_id=unknown.event.id,
        work_date=unknown.event.work_date,
        detail={"caller_e164": f"+8180{code}{code}"},
    )
    users = {
        "prime_admin": make_user(
            session, f"prime{letter}@example.jp", "prime_admin", company=prime
        ),
        "site_admin": make_user(session, f"site{letter}@example.jp", "site_admin", site=site),
        "company_admin": make_user(
            session, f"company{letter}@example.jp", "company_admin", company=sub
        ),
    }
    token = make_token(session, role="site_admin", site_id=site.id)
    return Side(prime, site, sub, worker, exception, users, token)


def build_world(session: Session) -> World:
    admin = make_user(session, "admin@example.jp", "admin")
    a = _side(session, "A", "1001", "03-1234-5678", "090-1111-0001")
    b = _side(session, "B", "2002", "06-1234-5678", "090-2222-0002")
    session.flush()
    return World(admin, a, b)


@pytest.fixture(name="world")
def world_fixture(db_session: Session) -> World:
    w = build_world(db_session)
    db_session.commit()
    return w


def login_as(client: FlaskClient, user: AdminUser) -> FlaskClient:
    """Sign the test client in as `user` (the login form itself is tested on its own)."""
    with client.session_transaction() as sess:
        sess[SESSION_USER] = user.id
        sess[SESSION_STAMP] = session_stamp(user)
        sess[SESSION_SINCE] = int(unix_time())
        sess[SESSION_CSRF] = CSRF
        sess["lang"] = "ja"
    return client
