"""Fixtures of the abuse tests: the app with small rate limits, and ways to count what was
recorded (events, call steps, exceptions) so a test can say "nothing at all"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from voice_app import create_app
from workers_db.models import CallStep, Event, WorkException
from workers_db.settings import Settings

from .ivr_support import Clock, Twilio

CALLS_PER_CALLER = 3
WITHHELD_PER_NUMBER = 4


@dataclass(frozen=True)
class Recorded:
    events: int
    work_events: int
    steps: int
    exceptions: int


def recorded(session: Session) -> Recorded:
    def count(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    return Recorded(
        events=count(select(func.count()).select_from(Event)),
        work_events=count(
            select(func.count()).select_from(Event).where(Event.worker_id.is_not(None))
        ),
        steps=count(select(func.count()).select_from(CallStep)),
        exceptions=count(select(func.count()).select_from(WorkException)),
    )


def app_for_limits(
    settings: Settings, session_factory: sessionmaker[Session], clock: Clock, **config: Any
) -> Flask:
    """An app (a web process of its own) with the test database and clock and `config`."""
    return create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings,
            "GENBA_SESSION_FACTORY": session_factory,
            "GENBA_CLOCK": clock,
            **config,
        }
    )


@pytest.fixture(name="limited_app")
def limited_app_fixture(
    settings: Settings, session_factory: sessionmaker[Session], redis_conn: Redis, clock: Clock
) -> Flask:
    return app_for_limits(
        settings,
        session_factory,
        clock,
        GENBA_CALLS_PER_CALLER=CALLS_PER_CALLER,
        GENBA_WITHHELD_CALLS_PER_NUMBER=WITHHELD_PER_NUMBER,
    )


@pytest.fixture(name="limited")
def limited_fixture(limited_app: Flask) -> Twilio:
    return Twilio(limited_app.test_client())
