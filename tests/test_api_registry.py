"""/api/v1 companies, sites, site-companies, workers and roster: answers, normalised values,
and the 422 shape of docs/api.md for every kind of bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs.deferred import flush_deferred
from jobs.queue import reconcile_job_id
from workers_db.models import Event, Phone

from .helpers import (
    bearer,
    make_company,
    make_site,
    make_token,
    make_worker,
)


@pytest.fixture
def admin(db_session: Session) -> dict[str, str]:
    return bearer(make_token(db_session, "admin"))


def fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.json
    return [e["field"] for e in response.json["errors"]]


def test_companies_are_created_normalised_and_listed(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/companies",
        json={
            "name": " 山田建設 ",
            "ccus_business_id": "1234-5678-9012-34",
            "sole_proprietor": False,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["name"] == "山田建設" and body["ccus_business_id"] == "12345678901234"
    assert isinstance(body["id"], int)
    listed = client.get("/api/v1/companies", headers=admin)
    assert listed.status_code == 200
    assert body in listed.json
    again = client.post(
        "/api/v1/companies", json={"name": "別名", "ccus_business_id": "12345678901234"},
        headers=admin,
    )  # fmt: skip
    assert fields(again) == ["ccus_business_id"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", ["name"]),
        (b"{not json", ["body"]),
        (b"[1, 2]", ["body"]),
        (b'"name"', ["body"]),
        (b'{"name": 5}', ["name"]),
        (b'{"name": "x", "ccus_business_id": 12345678901234}', ["ccus_business_id"]),
        (b'{"name": "x", "sole_proprietor": "yes"}', ["sole_proprietor"]),
        (b'{"nmae": "x"}', ["name", "nmae"]),
        (b'{"name": "x", "ccus_business_id": "123"}', ["ccus_business_id"]),
    ],
)
def test_bad_company_bodies_name_the_field(
    client: FlaskClient, admin: dict[str, str], data: bytes, expected: list[str]
) -> None:
    response = client.post(
        "/api/v1/companies", data=data, headers=admin, content_type="application/json"
    )
    assert fields(response) == expected
    assert all(e["message"] for e in response.json["errors"])


def test_sites_are_created_with_normalised_numbers(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    prime = make_company(db_session, "元請建設")
    body = {
        "name": "渋谷再開発",
        "site_code": "0123",
        "prime_company_id": prime.id,
        "dial_in_number": "０３－１２３４－５６７８",
        "ccus_site_id": "11112222333344",
        "contract_amount_yen": 150_000_000,
        "answer_mode": "reject",
    }
    created = client.post("/api/v1/sites", json=body, headers=admin)
    assert created.status_code == 201, created.json
    site = created.json
    assert site["dial_in_number"] == "+81312345678" and site["site_code"] == "0123"
    assert site["registered_in_ccus"] is True and site["answer_mode"] == "reject"
    assert site in client.get("/api/v1/sites", headers=admin).json
    duplicate = client.post("/api/v1/sites", json={**body, "dial_in_number": None}, headers=admin)
    assert fields(duplicate) == ["site_code"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"site_code": 1234}, ["site_code"]),
        ({"site_code": "12"}, ["site_code"]),
        ({"contract_amount_yen": "100"}, ["contract_amount_yen"]),
        ({"contract_amount_yen": -1}, ["contract_amount_yen"]),
        ({"prime_company_id": "1"}, ["prime_company_id"]),
        ({"prime_company_id": 999_999}, ["prime_company_id"]),
        ({"answer_mode": "maybe"}, ["answer_mode"]),
        ({"dial_in_number": "12"}, ["dial_in_number"]),
        ({"name": None}, ["name"]),
    ],
)
def test_bad_site_bodies_name_the_field(
    client: FlaskClient,
    admin: dict[str, str],
    db_session: Session,
    change: dict[str, Any],
    expected: list[str],
) -> None:
    prime = make_company(db_session)
    body = {"name": "現場", "site_code": "5678", "prime_company_id": prime.id, **change}
    assert fields(client.post("/api/v1/sites", json=body, headers=admin)) == expected


def test_site_structure_edges(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    site = make_site(db_session)
    first, second, third = (make_company(db_session) for _ in range(3))

    def post(**body: Any) -> Any:
        return client.post("/api/v1/site-companies", json=body, headers=admin)

    edge = post(site_id=site.id, company_id=first.id)
    assert edge.status_code == 201, edge.json
    assert edge.json["parent_company_id"] == site.prime_company_id and edge.json["tier"] == 1
    under = post(site_id=site.id, company_id=second.id, parent_company_id=first.id)
    assert under.status_code == 201 and under.json["tier"] == 2
    assert fields(post(site_id=site.id, company_id=third.id, parent_company_id=first.id, tier=3))
    assert fields(post(site_id=site.id, company_id=third.id, parent_company_id=third.id)) == [
        "parent_company_id"
    ]
    assert fields(post(site_id=site.id, company_id=site.prime_company_id)) == ["company_id"]
    assert fields(post(site_id=999_999, company_id=third.id)) == ["site_id"]
    assert fields(post(site_id=str(site.id), company_id=third.id)) == ["site_id"]


def test_workers_are_created_with_e164_phones_and_canonical_cards(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    company = make_company(db_session)
    body = {
        "name": "山田 太郎",
        "company_id": company.id,
        "name_kana": "ヤマダ タロウ",
        "ccus_worker_id": "98765432109876",
        "phones": ["０９０－１２３４－５６７８", "+81 3 1234 5678"],
        "card_uids": ["01:2e:3f:4a:5b:6c:7d:8e"],
        "language": "vi",
        "pin": "0123",
        "kentaikyo": True,
        "card_level": 2,
    }
    created = client.post("/api/v1/workers", json=body, headers=admin)
    assert created.status_code == 201, created.json
    worker = created.json
    assert worker["phones"] == ["+81312345678", "+819012345678"]
    assert worker["card_uids"] == ["F:012E3F4A5B6C7D8E"]
    assert worker["has_pin"] is True and "pin" not in worker and "pin_hash" not in worker
    assert client.get(f"/api/v1/workers/{worker['id']}", headers=admin).json == worker
    listed = client.get(f"/api/v1/workers?company_id={company.id}", headers=admin)
    assert listed.json == [worker]
    assert client.get("/api/v1/workers/999999", headers=admin).status_code == 404
    assert fields(client.get("/api/v1/workers?company_id=abc", headers=admin)) == ["company_id"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"company_id": "1"}, ["company_id"]),
        ({"company_id": 999_999}, ["company_id"]),
        ({"phones": "090-1234-5678"}, ["phones"]),
        ({"phones": [9012345678]}, ["phones[0]"]),
        ({"phones": ["090-1234"]}, ["phones"]),
        ({"phones": ["090-1234-5678", "09012345678"]}, ["phones"]),
        ({"card_uids": ["xyz"]}, ["card_uids"]),
        ({"pin": 1234}, ["pin"]),
        ({"pin": "12"}, ["pin"]),
        ({"language": "klingon"}, ["language"]),
        ({"card_level": 5}, ["card_level"]),
        ({"kentaikyo": 1}, ["kentaikyo"]),
        ({"phone": "090-1234-5678"}, ["phone"]),
    ],
)
def test_bad_worker_bodies_name_the_field(
    client: FlaskClient,
    admin: dict[str, str],
    db_session: Session,
    change: dict[str, Any],
    expected: list[str],
) -> None:
    company = make_company(db_session)
    body = {"name": "作業員", "company_id": company.id, **change}
    assert fields(client.post("/api/v1/workers", json=body, headers=admin)) == expected


def test_a_phone_or_card_of_another_worker_is_refused(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    owner = make_worker(db_session, phones=["090-2222-3333"], card_uids=["A:04A1B2C3"])
    for body, field in [
        ({"phones": ["+81 90 2222 3333"]}, "phones"),
        ({"card_uids": ["04:a1:b2:c3"]}, "card_uids"),
    ]:
        response = client.post(
            "/api/v1/workers",
            json={"name": "別人", "company_id": owner.company_id, **body},
            headers=admin,
        )
        assert fields(response) == [field]
        message = response.json["errors"][0]["message"]
        assert "already registered to another worker" in message  # never whose
        assert "worker " + str(owner.id) not in message and "id" not in message
    count = select(func.count()).select_from(Phone).where(Phone.e164 == "+819022223333")
    assert db_session.scalar(count) == 1


def test_roster_records_one_event_and_asks_for_reconciliation(
    client: FlaskClient, admin: dict[str, str], db_session: Session, redis_conn: Redis
) -> None:
    site = make_site(db_session)
    worker = make_worker(db_session)
    day = date.today() - timedelta(days=1)
    body = {"site_id": site.id, "worker_id": worker.id, "work_date": day.isoformat()}
    first = client.post("/api/v1/roster", json=body, headers=admin)
    assert first.status_code == 201, first.json
    assert first.json["created"] is True and first.json["source"] == "roster"
    assert first.json["occurred_at"] == f"{day.isoformat()}T12:00:00+09:00"
    again = client.post("/api/v1/roster", json=body, headers=admin)
    assert again.status_code == 201 and again.json == {**first.json, "created": False}
    events = db_session.scalars(select(Event).where(Event.worker_id == worker.id)).all()
    assert [e.external_id for e in events] == [f"roster:{site.id}:{worker.id}:{day.isoformat()}"]
    assert events[0].work_date == day
    flush_deferred()
    job = Job.fetch(
        reconcile_job_id(site.id, day), connection=redis_conn, serializer=JSONSerializer
    )
    assert job.args == [site.id, day.isoformat(), day.isoformat()]


def test_an_unknown_roster_worker_is_404_like_one_outside_the_scope(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    body = {"site_id": make_site(db_session).id, "worker_id": 999_999, "work_date": "2026-04-01"}
    answer = client.post("/api/v1/roster", json=body, headers=admin)
    assert answer.status_code == 404
    assert answer.json["errors"] == [{"field": "worker_id", "message": "not found"}]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"work_date": "2026-13-01"}, ["work_date"]),
        ({"work_date": 20260401}, ["work_date"]),
        ({"work_date": (date.today() + timedelta(days=2)).isoformat()}, ["work_date"]),
        ({"site_id": 999_999}, ["site_id"]),
        ({"worker_id": None}, ["worker_id"]),
    ],
)
def test_bad_roster_bodies_name_the_field(
    client: FlaskClient,
    admin: dict[str, str],
    db_session: Session,
    change: dict[str, Any],
    expected: list[str],
) -> None:
    site = make_site(db_session)
    worker = make_worker(db_session)
    body = {"site_id": site.id, "worker_id": worker.id, "work_date": "2026-04-01", **change}
    assert fields(client.post("/api/v1/roster", json=body, headers=admin)) == expected
