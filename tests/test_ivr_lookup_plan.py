"""The zero-key check-in's look-up on PostgreSQL reads the caller's history by worker
(`workers_db.callers._callers_at`), never by site: read by site, every check-in costs all of
the site's events of the day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from ivr_flows.decide import history_since
from workers_db.callers import SITE_AND_CALLERS
from workers_db.db import DriverStatement

from .ivr_support import (
    JST,
    MORNING,
    SITE_NUMBER,
    TANAKA,
    World,
    world_fixture,  # noqa: F401  (fixture)
)


def _plan(session: Session, statement: DriverStatement, params: dict[str, object]) -> str:
    driver = session.connection().connection.driver_connection
    assert driver is not None
    rows = driver.execute("EXPLAIN " + statement.sql, {**statement.fixed, **params}).fetchall()
    return "\n".join(row[0] for row in rows)


def test_the_callers_history_is_not_read_through_the_sites_index(
    db_session: Session, world: World
) -> None:
    # With the worker's index gone (inside this test's transaction), the other index that
    # could serve the history is the site's: the look-up must not be able to use it.
    db_session.execute(text("DROP INDEX ix_events_worker_time"))
    params = {
        "number": SITE_NUMBER,
        "e164": TANAKA,
        "since": history_since(MORNING, JST),
        "until": MORNING + timedelta(seconds=15),
    }
    plan = _plan(db_session, DriverStatement(SITE_AND_CALLERS), params)
    assert "ix_events_site_date" not in plan
    assert " on events" in plan  # the history is still read
