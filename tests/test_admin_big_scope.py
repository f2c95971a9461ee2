"""Pages that stay small on a big site: the exceptions queue and the board offer a worker
picker (search as you type, a few dozen answers) instead of a `<select>` of every worker in
scope, and the worker and phone lists come in pages.  bench/admin_pages_bench.py measures the
same pages with 100,000 workers."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import Event, Phone, Worker

from .admin_support import CSRF, World, login_as, world_fixture  # noqa: F401

CROWD = 130  # more than two pages of 50, and more than the picker's 30


@pytest.fixture
def crowd(world: World, db_session: Session) -> World:
    """Side A's subcontractor gets CROWD more workers (大量 タロウ0000…), each with a phone."""
    workers = [
        Worker(
            company_id=world.a.sub.id,
            name=f"大量 太郎{n:04d}",
            name_kana=f"タイリョウ タロウ{n:04d}",
            language="ja",
            active=True,
        )
        for n in range(CROWD)
    ]
    db_session.add_all(workers)
    db_session.flush()
    db_session.add_all(
        Phone(e164=f"+81905555{n:04d}", worker_id=w.id) for n, w in enumerate(workers)
    )
    db_session.commit()
    return world


def _names(page: str) -> set[str]:
    return set(re.findall(r"大量 太郎\d{4}", page))


def test_exception_cards_offer_a_picker_not_every_worker(client: FlaskClient, crowd: World) -> None:
    login_as(client, crowd.a.users["site_admin"])
    page = client.get(f"/admin/exceptions?site_id={crowd.a.site.id}").get_data(as_text=True)
    assert crowd.a.exception.kind == "unknown_caller" and f'id="exc-{crowd.a.exception.id}"' in page
    assert 'name="worker_id"' in page and "data-picker-url" in page
    assert '<select name="worker_id"' not in page
    assert _names(page) == set()  # no worker listed that the page is not about


def test_the_board_offers_a_picker_for_a_missed_day(client: FlaskClient, crowd: World) -> None:
    login_as(client, crowd.a.users["site_admin"])
    page = client.get(f"/admin/sites/{crowd.a.site.id}/board").get_data(as_text=True)
    assert "data-picker-url" in page and f'data-picker-site="{crowd.a.site.id}"' in page
    assert _names(page) == set()


def test_the_picker_answers_a_few_workers_in_scope_however_the_name_is_typed(
    client: FlaskClient, crowd: World
) -> None:
    login_as(client, crowd.a.users["site_admin"])

    def pick(**form: object) -> list[dict[str, object]]:
        answer = client.post("/admin/workers/pick", data={**form}, headers={"X-CSRF-Token": CSRF})
        assert answer.status_code == 200, answer.status_code
        return list(answer.get_json()["workers"])

    for typed in ("たいりょう", "ﾀｲﾘｮｳ", "大量　太郎", "タイリョウ"):
        found = pick(q=typed)
        assert 0 < len(found) <= 30, typed
        assert all("大量 太郎" in str(w["label"]) for w in found), typed
    (one,) = pick(q="大量 太郎0077")
    assert one["label"] == "大量 太郎0077（タイリョウ タロウ0077） · " + crowd.a.sub.name
    assert pick(q=crowd.b.worker.name) == []  # another prime's worker is not in scope
    assert pick(q="") == []
    assert len(pick(q="大量", site_id=crowd.a.site.id)) == 30
    refused = client.post(
        "/admin/workers/pick",
        data={"q": "作業員", "site_id": crowd.b.site.id},
        headers={"X-CSRF-Token": CSRF},
    )
    assert refused.status_code == 403


def test_a_missed_day_is_entered_with_the_picker_or_its_search_text(
    client: FlaskClient, crowd: World, db_session: Session
) -> None:
    login_as(client, crowd.a.users["site_admin"])
    url = f"/admin/sites/{crowd.a.site.id}/manual"
    form = {"csrf_token": CSRF, "time_in": "07:30", "note": "カードを忘れた"}
    target = db_session.scalar(select(Worker).where(Worker.name == "大量 太郎0042"))
    assert target is not None
    # what admin.js sends: the chosen id (the search text beside it)
    assert (
        client.post(url, data={**form, "worker_id": target.id, "worker_q": "x"}).status_code == 302
    )
    # without JavaScript: a search text that finds exactly one worker chooses it
    other = db_session.scalar(select(Worker).where(Worker.name == "大量 太郎0043"))
    assert other is not None
    assert client.post(url, data={**form, "worker_q": "大量 太郎0043"}).status_code == 302
    manual = set(db_session.scalars(select(Event.worker_id).where(Event.source == "manual")))
    assert manual == {target.id, other.id}


def test_the_worker_list_comes_in_pages(client: FlaskClient, crowd: World) -> None:
    login_as(client, crowd.a.users["site_admin"])
    first = client.get("/admin/workers").get_data(as_text=True)
    assert 0 < len(_names(first)) <= 50
    assert "page=2" in first
    second = client.get("/admin/workers?page=2").get_data(as_text=True)
    assert _names(second) and not _names(first) & _names(second)
    seen = set()
    for number in range(1, 6):
        seen |= _names(client.get(f"/admin/workers?page={number}").get_data(as_text=True))
    assert len(seen) == CROWD
    assert "page=6" not in client.get("/admin/workers?page=5").get_data(as_text=True)


def test_the_phone_list_comes_in_pages(client: FlaskClient, crowd: World) -> None:
    login_as(client, crowd.a.users["site_admin"])
    first = client.get("/admin/phones").get_data(as_text=True)
    assert 0 < len(_names(first)) <= 50 and "page=2" in first
    second = client.get("/admin/phones?page=2").get_data(as_text=True)
    assert _names(second) and not _names(first) & _names(second)
