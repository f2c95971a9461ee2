"""Work records (migration 0006) and events (0007) without foreign keys to workers and sites:
what still keeps them pointing at a real worker and site (a trigger refuses deleting or
renumbering a worker or site that events refer to), and both migrations, up and down, on a
database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from tests.reconcile_support import RULES, CompanySpec, Dataset, EventSpec, WorkerSpec, load, local
from workers_db.db import make_engine
from workers_db.migrate import alembic_config, upgrade
from workers_db.models import WorkRecord

from .databases import drop_database, recreate_database

D = date(2025, 6, 3)
RECORD_KEYS = {("workers", "worker_id"), ("sites", "site_id")}


def _keys(engine: Engine, table: str = "work_records") -> set[tuple[str, str]]:
    found = inspect(engine).get_foreign_keys(table)
    return {(key["referred_table"], col) for key in found for col in key["constrained_columns"]}


def _guards(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        names = connection.scalars(
            text("SELECT tgname FROM pg_trigger WHERE tgname LIKE '%_keep_their_events'")
        )
        return set(names)


@pytest.fixture
def scratch(engine: Engine) -> Iterator[Engine]:
    url = make_url(engine.url.render_as_string(hide_password=False))
    scratch_url = url.set(database=f"{url.database}_keys").render_as_string(hide_password=False)
    recreate_database(scratch_url)
    scratch_engine = make_engine(scratch_url)
    try:
        yield scratch_engine
    finally:
        scratch_engine.dispose()
        drop_database(scratch_url)


def test_migration_0006_drops_the_record_keys_and_its_downgrade_restores_them(
    scratch: Engine,
) -> None:
    upgrade(scratch, "0005")
    assert _keys(scratch) == RECORD_KEYS
    upgrade(scratch)
    assert _keys(scratch) == set()
    config = alembic_config(scratch)
    with scratch.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert _keys(scratch) == RECORD_KEYS


def test_migration_0007_drops_the_event_keys_for_guards_and_its_downgrade_restores_them(
    scratch: Engine,
) -> None:
    upgrade(scratch, "0006")
    assert _keys(scratch, "events") == RECORD_KEYS and _guards(scratch) == set()
    upgrade(scratch)
    assert _keys(scratch, "events") == set()
    assert _guards(scratch) == {"sites_keep_their_events", "workers_keep_their_events"}
    config = alembic_config(scratch)
    with scratch.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert _keys(scratch, "events") == RECORD_KEYS and _guards(scratch) == set()


@pytest.mark.parametrize("table", ["workers", "sites"])
def test_a_worker_or_site_with_records_cannot_be_deleted(db_session: Session, table: str) -> None:
    """What the records' own keys did is done by the guard on their events: a record exists
    only for a worker with events at the site, and those events refuse the delete."""
    loaded = load(
        db_session,
        Dataset([CompanySpec(), CompanySpec()], [WorkerSpec(1)], 1,
                [EventSpec(0, 0, "phone", local(D, 8), "entry")]),
    )  # fmt: skip
    site_id, worker_id = loaded.site_ids[0], loaded.worker_ids[0]
    reconcile(db_session, site_id, D, D, rules=RULES)
    record = db_session.scalars(select(WorkRecord)).one()
    assert (record.worker_id, record.site_id) == (worker_id, site_id)
    db_session.commit()
    row_id = worker_id if table == "workers" else site_id
    with pytest.raises(IntegrityError) as refused, db_session.begin_nested():
        db_session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
    assert 'on table "events"' in str(refused.value)
    assert "deactivate it instead" in str(refused.value)


@pytest.mark.parametrize("table", ["workers", "sites"])
def test_a_worker_or_site_with_events_cannot_be_renumbered(db_session: Session, table: str) -> None:
    loaded = load(
        db_session,
        Dataset([CompanySpec(), CompanySpec()], [WorkerSpec(1)], 1,
                [EventSpec(0, 0, "nfc", local(D, 8), None)]),
    )  # fmt: skip
    db_session.commit()
    row_id = loaded.worker_ids[0] if table == "workers" else loaded.site_ids[0]
    with db_session.begin_nested():  # the same id written again changes nothing: allowed
        db_session.execute(text(f"UPDATE {table} SET id = id WHERE id = :id"), {"id": row_id})
    with pytest.raises(IntegrityError) as refused, db_session.begin_nested():
        db_session.execute(
            text(f"UPDATE {table} SET id = id + 1000 WHERE id = :id"), {"id": row_id}
        )
    assert 'on table "events"' in str(refused.value)


def test_a_worker_without_events_can_still_be_deleted(db_session: Session) -> None:
    """The guard refuses only what events refer to."""
    loaded = load(db_session, Dataset([CompanySpec(), CompanySpec()], [WorkerSpec(1)], 1, []))
    db_session.commit()
    worker_id = loaded.worker_ids[0]
    db_session.execute(text("DELETE FROM workers WHERE id = :id"), {"id": worker_id})
    assert (
        db_session.scalar(text("SELECT count(*) FROM workers WHERE id = :id"), {"id": worker_id})
        == 0
    )
