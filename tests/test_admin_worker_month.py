"""The worker's row in the admin UI shows the month that key 4 reads back, counted only at
the sites the login sees."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from workers_db.models import WorkRecord

from .admin_support import TOKYO, World, login_as, world_fixture  # noqa: F401


def test_the_workers_row_shows_this_months_countable_days_and_the_estimate(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    worker = world.a.worker
    worker.ccus_worker_id, worker.kentaikyo = "31234567890123", True
    today = datetime.now(TOKYO).date()
    for site in (world.a.site, world.b.site):  # the same day at another prime's site
        db_session.add(
            WorkRecord(worker_id=worker.id, site_id=site.id, work_date=today, sources="phone",
                       countable=True, event_count=1)
        )  # fmt: skip
    db_session.commit()
    page = login_as(client, world.admin).get("/admin/workers").get_data(as_text=True)
    assert "2日 · 建退共 640円" in page
    page = login_as(client, world.a.users["site_admin"]).get("/admin/workers")
    text = page.get_data(as_text=True)
    assert "1日 · 建退共 320円" in text and world.b.site.name not in text
