"""Work records without foreign keys (migration 0006): what still keeps them pointing at a
real worker and site, and the migration itself, up and down, on a database of its own."""

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


def _keys(engine: Engine) -> set[tuple[str, str]]:
    found = inspect(engine).get_foreign_keys("work_records")
    return {(key["referred_table"], col) for key in found for col in key["constrained_columns"]}


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


@pytest.mark.parametrize("table", ["workers", "sites"])
def test_a_worker_or_site_with_records_cannot_be_deleted(db_session: Session, table: str) -> None:
    """What the records' own keys did is done by their events' keys: a record exists only
    for a worker with events at the site, and those events refuse the delete."""
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
