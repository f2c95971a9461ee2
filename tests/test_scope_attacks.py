"""The scope attacks, tried as an attacker would: real tokens and logins through the real
HTTP routes on PostgreSQL.  Each is refused with 403 or 404 and writes nothing.

Side A and side B are two primes with a site, a subcontractor and a worker each
(tests/admin_support.py); company Z is a third company whose worker calls site A.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import AdminUser, AuditEntry, Event, SiteCompany, Worker
from workers_db.registration import create_company, create_worker

from .admin_support import CSRF, World, build_world, login_as
from .helpers import bearer, make_token
from .ivr_support import (
    Twilio,
    clock_fixture,  # noqa: F401  (fixtures)
    ivr_app_fixture,  # noqa: F401
    twilio_fixture,  # noqa: F401
)

SITE_A_NUMBER = "+81312345678"  # admin_support: site A's dial-in 03-1234-5678
Z_PHONE = "+819033334444"


@pytest.fixture
def world(db_session: Session) -> World:
    w = build_world(db_session)
    db_session.commit()
    return w


@pytest.fixture
def client(ivr_app: Flask) -> FlaskClient:
    return ivr_app.test_client()


def tokens(session: Session, world: World) -> dict[str, dict[str, str]]:
    return {
        "site_admin_a": bearer(world.a.token),
        "prime_admin_a": bearer(make_token(session, "prime_admin", company_id=world.a.prime.id)),
        "company_admin_b": bearer(make_token(session, "company_admin", company_id=world.b.sub.id)),
    }


def counts(session: Session) -> tuple[int, ...]:
    """Rows an attack could write: edges, events, workers, logins, audit rows."""
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (SiteCompany, Event, Worker, AdminUser, AuditEntry)
    )


def edge(session: Session, site_id: int, company_id: int) -> SiteCompany | None:
    return session.scalar(
        select(SiteCompany).where(
            SiteCompany.site_id == site_id, SiteCompany.company_id == company_id
        )
    )


def form(client: FlaskClient, path: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": CSRF, **data})


# ---------------------------------------------------------------- another prime's company


@pytest.mark.parametrize("who", ["site_admin_a", "prime_admin_a"])
def test_a_site_admin_cannot_pull_another_primes_company_into_its_site(
    client: FlaskClient, db_session: Session, world: World, who: str
) -> None:
    token = tokens(db_session, world)[who]
    db_session.commit()
    before = counts(db_session)
    body = {"site_id": world.a.site.id, "company_id": world.b.sub.id}
    answer = client.post("/api/v1/site-companies", json=body, headers=token)
    assert answer.status_code == 403
    # under a parent, or with the other prime itself: the same
    for company in (world.b.sub.id, world.b.prime.id):
        body = {"site_id": world.a.site.id, "company_id": company, "parent_company_id": None}
        assert client.post("/api/v1/site-companies", json=body, headers=token).status_code == 403
    # an id that names no company is refused alike (company ids cannot be probed)
    body = {"site_id": world.a.site.id, "company_id": 99_999}
    assert client.post("/api/v1/site-companies", json=body, headers=token).status_code == 403
    assert counts(db_session) == before
    assert edge(db_session, world.a.site.id, world.b.sub.id) is None
    # and so nothing of that company is readable
    listed = client.get(f"/api/v1/workers?company_id={world.b.sub.id}", headers=token)
    assert listed.status_code == 403
    worker = client.get(f"/api/v1/workers/{world.b.worker.id}", headers=token)
    assert (
        worker.status_code == 404
        and worker.json == client.get("/api/v1/workers/99999", headers=token).json
    )  # outside the scope reads exactly like unknown
    ids = {w["id"] for w in client.get("/api/v1/workers", headers=token).json}
    assert world.b.worker.id not in ids


def test_the_admin_structure_form_refuses_the_same_company(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    before = counts(db_session)
    login_as(client, world.a.users["site_admin"])
    path = f"/admin/sites/{world.a.site.id}/structure/add"
    assert form(client, path, company_id=world.b.sub.id).status_code == 403
    login_as(client, world.a.users["prime_admin"])
    assert form(client, path, company_id=world.b.sub.id).status_code == 403
    assert counts(db_session) == before


def test_through_the_admin_ui_nothing_of_the_other_company_can_be_changed(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    before = counts(db_session)
    login_as(client, world.a.users["site_admin"])
    worker = world.b.worker.id
    assert form(client, f"/admin/workers/{worker}/active", active="0").status_code == 404
    login = {
        "email": "evil@example.jp",
        "role": "company_admin",
        "company_id": world.b.sub.id,
        "password": "long enough pw",
    }
    assert form(client, "/admin/users", **login).status_code in (403, 404)
    assert counts(db_session) == before
    db_session.refresh(world.b.worker)
    assert world.b.worker.active


def test_a_company_the_caller_created_itself_may_be_placed(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    token = tokens(db_session, world)["site_admin_a"]
    db_session.commit()
    created = client.post("/api/v1/companies", json={"name": "新規内装"}, headers=token)
    assert created.status_code == 201
    body = {"site_id": world.a.site.id, "company_id": created.json["id"]}
    placed = client.post("/api/v1/site-companies", json=body, headers=token)
    assert placed.status_code == 201 and placed.json["tier"] == 1
    # another token (another prime's site admin) may not take it over
    other = {"site_id": world.b.site.id, "company_id": created.json["id"]}
    assert (
        client.post("/api/v1/site-companies", json=other, headers=bearer(world.b.token)).status_code
        == 403
    )


# ---------------------------------------------------------------- a spoofed call


def test_a_call_adds_an_unconfirmed_edge_that_widens_nobodys_scope(
    client: FlaskClient, twilio: Twilio, db_session: Session, world: World
) -> None:
    z = create_company(db_session, "Z工業")
    z_worker = create_worker(db_session, "Z 太郎", z.id, phones=[Z_PHONE])
    z_admin = make_token(db_session, "company_admin", company_id=z.id)
    site_admin = tokens(db_session, world)["site_admin_a"]
    db_session.commit()
    twilio.call(Z_PHONE, SITE_A_NUMBER).start()  # the caller id may be spoofed
    added = edge(db_session, world.a.site.id, z.id)
    assert added is not None and (added.source, added.confirmed) == ("call", False)
    assert (
        db_session.scalar(
            select(AuditEntry.actor).where(
                AuditEntry.action == "structure_add", AuditEntry.object_id == str(added.id)
            )
        )
        == "system:call"
    )

    def a_sees_z() -> bool:
        listed = client.get("/api/v1/workers", headers=site_admin).json
        return z_worker.id in {w["id"] for w in listed}

    def z_sees_a() -> bool:
        sites = client.get("/api/v1/sites", headers=bearer(z_admin)).json
        return world.a.site.id in {s["id"] for s in sites}

    assert not a_sees_z() and not z_sees_a()
    by_company = client.get(f"/api/v1/workers?company_id={z.id}", headers=site_admin)
    assert by_company.status_code == 403
    assert client.get(f"/api/v1/workers/{z_worker.id}", headers=site_admin).status_code == 404
    events = client.get(
        f"/api/v1/events?site_id={world.a.site.id}&date={date.today()}", headers=bearer(z_admin)
    )
    assert events.status_code == 403
    login_as(client, world.a.users["site_admin"])
    assert Z_PHONE[-4:] not in client.get("/admin/phones").get_data(as_text=True)
    assert "Z 太郎" not in client.get("/admin/workers").get_data(as_text=True)

    # the site's admin confirms it: from now on both sides see each other
    answer = form(
        client,
        f"/admin/sites/{world.a.site.id}/structure/{added.id}",
        parent_company_id=world.a.prime.id,
    )
    assert answer.status_code == 302
    db_session.refresh(added)
    assert added.confirmed and added.tier == 1
    assert a_sees_z() and z_sees_a()
    assert db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "structure_confirm", AuditEntry.object_id == str(added.id)
        )
    )


# ---------------------------------------------------------------- roster and 事後登録


@pytest.mark.parametrize("route", ["/api/v1/roster", "/api/v1/manual-entries"])
def test_a_day_for_a_worker_outside_the_scope_is_refused(
    client: FlaskClient, db_session: Session, world: World, route: str
) -> None:
    toks = tokens(db_session, world)
    db_session.commit()
    before = counts(db_session)
    day = (date.today() - timedelta(days=1)).isoformat()
    body: dict[str, Any] = {"site_id": world.a.site.id, "worker_id": world.b.worker.id}
    body["work_date"] = day
    if route.endswith("manual-entries"):
        body["note"] = "忘れた"
    for who in ("site_admin_a", "prime_admin_a"):
        answer = client.post(route, json=body, headers=toks[who])
        assert answer.status_code in (403, 404), answer.json
        assert str(world.b.worker.id) not in answer.get_data(as_text=True)
        assert world.b.worker.name not in answer.get_data(as_text=True)
    assert counts(db_session) == before
    # the caller's own worker is accepted (the refusal above is not a blanket one)
    own = {**body, "worker_id": world.a.worker.id}
    assert client.post(route, json=own, headers=toks["site_admin_a"]).status_code == 201


def test_the_admin_manual_form_refuses_a_worker_outside_the_scope(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    before = counts(db_session)
    login_as(client, world.a.users["site_admin"])
    answer = form(
        client,
        f"/admin/sites/{world.a.site.id}/manual",
        worker_id=world.b.worker.id,
        time_in="08:00",
        note="x",
    )
    assert answer.status_code in (403, 404)
    assert counts(db_session) == before


# ---------------------------------------------------------------- errors name nothing


def test_a_taken_phone_names_no_worker(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    token = tokens(db_session, world)["site_admin_a"]
    db_session.commit()
    before = counts(db_session)
    body = {"name": "新人", "company_id": world.a.sub.id, "phones": ["090-2222-0002"]}
    answer = client.post("/api/v1/workers", json=body, headers=token)
    assert answer.status_code == 422
    [problem] = answer.json["errors"]
    assert problem["field"] == "phones"
    assert problem["message"] == "+819022220002 is already registered to another worker"
    assert world.b.worker.name not in answer.get_data(as_text=True)
    assert counts(db_session) == before


def test_a_csv_naming_another_scopes_phone_says_nothing_of_its_owner(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    before = counts(db_session)
    login_as(client, world.a.users["site_admin"])
    header = "会社名,事業者ID,一人親方,氏名,フリガナ,技能者ID,電話番号,カードID,言語,PIN\r\n"
    row = f"{world.a.sub.name},,いいえ,新人 一,シンジン ハジメ,,090-2222-0002,,日本語,\r\n"
    data = {
        "csrf_token": CSRF,
        "file": (io.BytesIO((header + row).encode("cp932")), "workers.csv"),
        "site_id": world.a.site.id,
    }
    answer = client.post("/admin/import", data=data, content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "別の技能者に登録済み" in html
    assert world.b.worker.name not in html and world.b.sub.name not in html
    assert f"ID {world.b.worker.id}" not in html and f"worker {world.b.worker.id}" not in html
    assert counts(db_session) == before


@pytest.mark.parametrize("who", ["site_admin_a", "prime_admin_a", "company_admin_b"])
def test_another_primes_statistics_are_refused(
    client: FlaskClient, db_session: Session, world: World, who: str
) -> None:
    token = tokens(db_session, world)[who]
    db_session.commit()
    today = date.today().isoformat()
    query = f"from={today}&to={today}"
    other = world.b.prime.id if who != "company_admin_b" else world.a.prime.id
    answer = client.get(f"/api/v1/stats?prime_company_id={other}&{query}", headers=token)
    assert answer.status_code == 403
