"""Who may do what on the registry endpoints: tokens, roles and scopes (docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from workers_db.models import Company, Site, Worker
from workers_db.structure import add_site_company

from .helpers import bearer, make_company, make_site, make_token, make_worker

ENDPOINTS = [
    ("post", "/api/v1/companies"),
    ("get", "/api/v1/companies"),
    ("post", "/api/v1/sites"),
    ("get", "/api/v1/sites"),
    ("post", "/api/v1/site-companies"),
    ("post", "/api/v1/workers"),
    ("get", "/api/v1/workers"),
    ("get", "/api/v1/workers/1"),
    ("post", "/api/v1/roster"),
]


@dataclass
class World:
    """Two primes with a site each; a subcontractor with a worker on the first site."""

    prime_a: Company
    prime_b: Company
    site_a: Site
    site_b: Site
    sub: Company
    sub_worker: Worker
    other_worker: Worker


@pytest.fixture
def world(db_session: Session) -> World:
    prime_a = make_company(db_session, "元請A")
    prime_b = make_company(db_session, "元請B")
    site_a = make_site(db_session, prime_a)
    site_b = make_site(db_session, prime_b)
    sub = make_company(db_session, "一次下請")
    add_site_company(db_session, site_a.id, sub.id, parent_company_id=prime_a.id, tier=1)
    return World(
        prime_a,
        prime_b,
        site_a,
        site_b,
        sub,
        sub_worker=make_worker(db_session, sub),
        other_worker=make_worker(db_session, prime_b),
    )


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_token_is_401_and_device_token_is_403(
    client: FlaskClient, db_session: Session, method: str, path: str
) -> None:
    site = make_site(db_session)
    device = make_token(db_session, "device", site_id=site.id, device_name="reader-1")
    assert getattr(client, method)(path, json={}).status_code == 401
    wrong = {"Authorization": "Bearer gc_not-a-token"}
    assert getattr(client, method)(path, json={}, headers=wrong).status_code == 401
    assert getattr(client, method)(path, json={}, headers=bearer(device)).status_code == 403


def test_prime_admin_creates_and_sees_only_its_own_sites(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    token = bearer(make_token(db_session, "prime_admin", company_id=world.prime_a.id))
    other = {"name": "他社現場", "site_code": "77771", "prime_company_id": world.prime_b.id}
    assert client.post("/api/v1/sites", json=other, headers=token).status_code == 403
    own = client.post(
        "/api/v1/sites", json={"name": "自社現場", "site_code": "77772"}, headers=token
    )
    assert own.status_code == 201 and own.json["prime_company_id"] == world.prime_a.id
    site_ids = {s["id"] for s in client.get("/api/v1/sites", headers=token).json}
    assert site_ids == {world.site_a.id, own.json["id"]}
    company_ids = {c["id"] for c in client.get("/api/v1/companies", headers=token).json}
    assert company_ids == {world.prime_a.id, world.sub.id}
    # a worker outside the scope is answered like an unknown id: its existence is not told
    assert client.get(f"/api/v1/workers/{world.other_worker.id}", headers=token).status_code == 404
    assert client.get(f"/api/v1/workers/{world.sub_worker.id}", headers=token).status_code == 200
    roster = {
        "site_id": world.site_b.id,
        "worker_id": world.sub_worker.id,
        "work_date": "2026-04-01",
    }
    assert client.post("/api/v1/roster", json=roster, headers=token).status_code == 403


def test_site_admin_changes_only_its_site(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    token = bearer(make_token(db_session, "site_admin", site_id=world.site_a.id))
    assert [s["id"] for s in client.get("/api/v1/sites", headers=token).json] == [world.site_a.id]
    created = client.post("/api/v1/companies", json={"name": "二次下請"}, headers=token)
    assert created.status_code == 201
    newcomer_id = created.json["id"]
    edge = {
        "site_id": world.site_a.id,
        "company_id": newcomer_id,
        "parent_company_id": world.sub.id,
    }
    ok = client.post("/api/v1/site-companies", json=edge, headers=token)
    assert ok.status_code == 201 and ok.json["tier"] == 2
    elsewhere = client.post(
        "/api/v1/site-companies",
        json={"site_id": world.site_b.id, "company_id": newcomer_id},
        headers=token,
    )
    assert elsewhere.status_code == 403
    day = "2026-04-01"
    own = {"site_id": world.site_a.id, "worker_id": world.sub_worker.id, "work_date": day}
    assert client.post("/api/v1/roster", json=own, headers=token).status_code == 201
    other = {"site_id": world.site_b.id, "worker_id": world.sub_worker.id, "work_date": day}
    assert client.post("/api/v1/roster", json=other, headers=token).status_code == 403
    site = {"name": "x", "site_code": "88881", "prime_company_id": world.prime_a.id}
    assert client.post("/api/v1/sites", json=site, headers=token).status_code == 403


def test_company_admin_registers_and_sees_only_its_own_workers(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    token = bearer(make_token(db_session, "company_admin", company_id=world.sub.id))
    own = client.post(
        "/api/v1/workers",
        json={"name": "新人", "company_id": world.sub.id, "phones": ["080-5555-6666"]},
        headers=token,
    )
    assert own.status_code == 201 and own.json["phones"] == ["+818055556666"]
    other = client.post(
        "/api/v1/workers", json={"name": "他社", "company_id": world.prime_b.id}, headers=token
    )
    assert other.status_code == 403
    listed = client.get("/api/v1/workers", headers=token).json
    assert {w["id"] for w in listed} == {world.sub_worker.id, own.json["id"]}
    by_company = client.get(f"/api/v1/workers?company_id={world.prime_b.id}", headers=token)
    assert by_company.status_code == 403
    assert client.get(f"/api/v1/workers/{world.other_worker.id}", headers=token).status_code == 404
    assert [c["id"] for c in client.get("/api/v1/companies", headers=token).json] == [world.sub.id]
    roster = {
        "site_id": world.site_a.id,
        "worker_id": world.sub_worker.id,
        "work_date": "2026-04-01",
    }
    assert client.post("/api/v1/roster", json=roster, headers=token).status_code == 403
    assert client.post("/api/v1/companies", json={"name": "x"}, headers=token).status_code == 403
