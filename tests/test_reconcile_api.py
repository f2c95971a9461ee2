"""/api/v1 events, work records, exceptions, manual entries, approval and reconcile: shapes,
scoping by Principal, and 422s that name the field."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.deferred import flush_deferred
from jobs.reconcile import reconcile
from tests.helpers import (
    bearer,
    make_company,
    make_token,
    token_actor,
)
from tests.reconcile_support import (
    RULES,
    TOKYO,
    CompanySpec,
    Dataset,
    EventSpec,
    Loaded,
    WorkerSpec,
    load,
    local,
)
from workers_db.models import AuditEntry, Event, Site, WorkException

D = date(2025, 6, 3)


@pytest.fixture
def data(db_session: Session) -> Loaded:
    """Prime (company 0) with two sites; worker 0 of company 1, worker 1 of company 2."""
    spec = Dataset(
        [CompanySpec(), CompanySpec(), CompanySpec(ccus=False)],
        [WorkerSpec(1), WorkerSpec(2, ccus=False)],
        2,
        [
            EventSpec(0, 0, "phone", local(D, 8), "entry"),
            EventSpec(0, 0, "phone", local(D, 17), "exit"),
            EventSpec(1, 0, "nfc", local(D, 8, 30)),
            EventSpec(1, 1, "nfc", local(D, 9)),
        ],
    )
    loaded = load(db_session, spec)
    db_session.execute(
        Event.__table__.update().where(Event.source == "phone").values(caller_e164="+819012345678")
    )
    for site_id in loaded.site_ids:
        reconcile(db_session, site_id, D - timedelta(days=1), D + timedelta(days=1), rules=RULES)
    return loaded


def get(client: FlaskClient, token: str, path: str, **query: Any) -> Any:
    return client.get(path, query_string=query, headers=bearer(token))


def test_work_records_shape_and_scope(
    client: FlaskClient, db_session: Session, data: Loaded
) -> None:
    site = data.site_ids[0]
    admin = make_token(db_session)
    answer = get(client, admin, "/api/v1/work-records", site_id=site, **{"from": D, "to": D})
    assert answer.status_code == 200
    rows = {r["worker_id"]: r for r in answer.json}
    mine = rows[data.worker_ids[0]]
    assert mine["sources"] == ["phone"] and mine["countable"] is True
    assert mine["first_in"] == "2025-06-03T08:00:00+09:00"
    assert mine["last_out"] == "2025-06-03T17:00:00+09:00"
    assert rows[data.worker_ids[1]]["countable"] is False  # no CCUS id

    company_admin = make_token(db_session, "company_admin", company_id=data.company_ids[1])
    only = get(client, company_admin, "/api/v1/work-records", site_id=site, **{"from": D, "to": D})
    assert [r["worker_id"] for r in only.json] == [data.worker_ids[0]]

    other_site = make_token(db_session, "site_admin", site_id=data.site_ids[1])
    assert (
        get(
            client, other_site, "/api/v1/work-records", site_id=site, **{"from": D, "to": D}
        ).status_code
        == 403
    )
    other_prime = make_token(db_session, "prime_admin", company_id=make_company(db_session).id)
    assert (
        get(
            client, other_prime, "/api/v1/work-records", site_id=site, **{"from": D, "to": D}
        ).status_code
        == 403
    )
    device = make_token(db_session, "device", site_id=site, device_name="reader")
    assert (
        get(
            client, device, "/api/v1/work-records", site_id=site, **{"from": D, "to": D}
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/work-records?site_id={site}&from={D}&to={D}").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2025-06-05", "to": "2025-06-01"}, "to"),
        ({"from": "2025/06/01", "to": "2025-06-01"}, "from"),
        ({"from": "2025-02-30", "to": "2025-06-01"}, "from"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "to"),
        ({"to": "2025-06-01"}, "from"),
    ],
)
def test_bad_dates_are_422_naming_the_field(
    client: FlaskClient, db_session: Session, data: Loaded, query: dict[str, str], field: str
) -> None:
    admin = make_token(db_session)
    for path in ("/api/v1/work-records", "/api/v1/stats"):
        answer = get(client, admin, path, site_id=data.site_ids[0], **query)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json["errors"]] == [field]


def test_366_days_is_fine(client: FlaskClient, db_session: Session, data: Loaded) -> None:
    admin = make_token(db_session)
    answer = get(
        client,
        admin,
        "/api/v1/work-records",
        site_id=data.site_ids[0],
        **{"from": "2024-01-01", "to": "2024-12-31"},
    )
    assert answer.status_code == 200


def test_events_of_a_day_with_masked_callers(
    client: FlaskClient, db_session: Session, data: Loaded
) -> None:
    admin = make_token(db_session)
    answer = get(client, admin, "/api/v1/events", site_id=data.site_ids[0], date=D)
    assert answer.status_code == 200
    assert [e["source"] for e in answer.json] == ["phone", "nfc", "phone"]
    assert answer.json[0]["caller"] == "+81********78"
    assert "+819012345678" not in answer.get_data(as_text=True)
    assert (
        get(client, admin, "/api/v1/events", site_id=data.site_ids[0], date="June 3").status_code
        == 422
    )


def test_manual_entry_counts_only_after_the_primes_approval(
    client: FlaskClient, db_session: Session, data: Loaded, redis_conn: Redis
) -> None:
    site, worker = data.site_ids[1], data.worker_ids[0]
    day = datetime.now(TOKYO).date() - timedelta(days=7)
    company_admin = make_token(db_session, "company_admin", company_id=data.company_ids[1])
    prime_admin = make_token(db_session, "prime_admin", company_id=data.company_ids[0])
    body = {
        "site_id": site,
        "worker_id": worker,
        "work_date": day.isoformat(),
        "time": "07:50",
        "note": "携帯の電池切れ",
    }
    created = client.post("/api/v1/manual-entries", json=body, headers=bearer(company_admin))
    assert created.status_code == 201, created.json
    event_id = created.json["id"]
    assert created.json["source"] == "manual" and created.json["approved_at"] is None
    assert created.json["occurred_at"] == f"{day.isoformat()}T07:50:00+09:00"
    again = client.post("/api/v1/manual-entries", json=body, headers=bearer(company_admin))
    assert (again.status_code, again.json["id"]) == (200, event_id)
    flush_deferred()
    assert redis_conn.exists(f"rq:job:reconcile-{site}-{day.isoformat()}")  # enqueued after commit

    reconcile(db_session, site, day, day, rules=RULES)
    records = get(
        client, prime_admin, "/api/v1/work-records", site_id=site, **{"from": day, "to": day}
    ).json
    assert [(r["sources"], r["countable"]) for r in records if r["worker_id"] == worker] == [
        (["manual"], False)
    ]
    pending = get(client, prime_admin, "/api/v1/exceptions", site_id=site, status="open").json
    manual = [(x["kind"], x["event_id"]) for x in pending if x["kind"] == "manual_pending"]
    assert manual == [("manual_pending", event_id)]

    assert (
        client.post(f"/api/v1/events/{event_id}/approve", headers=bearer(company_admin)).status_code
        == 403
    )
    approved = client.post(f"/api/v1/events/{event_id}/approve", headers=bearer(prime_admin))
    assert approved.status_code == 200 and approved.json["approved_by"] == token_actor(
        db_session, prime_admin
    )
    reconcile(db_session, site, day, day, rules=RULES)
    records = get(
        client, prime_admin, "/api/v1/work-records", site_id=site, **{"from": day, "to": day}
    ).json
    assert [r["countable"] for r in records if r["worker_id"] == worker] == [True]
    still_open = get(client, prime_admin, "/api/v1/exceptions", site_id=site, status="open").json
    assert [x for x in still_open if x["kind"] == "manual_pending"] == []


def test_manual_entry_problems(client: FlaskClient, db_session: Session, data: Loaded) -> None:
    admin = make_token(db_session)
    today = datetime.now(TOKYO).date()
    tomorrow, recent = (
        (today + timedelta(days=1)).isoformat(),
        (today - timedelta(days=3)).isoformat(),
    )
    cases = [
        (
            {
                "site_id": data.site_ids[0],
                "worker_id": data.worker_ids[0],
                "work_date": tomorrow,
                "note": "x",
            },
            "work_date",
        ),
        (
            {
                "site_id": data.site_ids[0],
                "worker_id": data.worker_ids[0],
                "work_date": recent,
            },
            "note",
        ),
        (
            {
                "site_id": data.site_ids[0],
                "worker_id": data.worker_ids[0],
                "work_date": recent,
                "time": "25:00",
                "note": "x",
            },
            "time",
        ),
    ]
    unknown = {"site_id": data.site_ids[0], "worker_id": 999999, "work_date": recent}
    answer = client.post(
        "/api/v1/manual-entries", json={**unknown, "note": "x"}, headers=bearer(admin)
    )
    assert answer.status_code == 404  # like a worker outside the token's scope
    assert answer.json["errors"][0]["field"] == "worker_id"
    for body, field in cases:
        answer = client.post("/api/v1/manual-entries", json=body, headers=bearer(admin))
        assert answer.status_code == 422, body
        assert [e["field"] for e in answer.json["errors"]] == [field]
    other = make_token(db_session, "company_admin", company_id=data.company_ids[2])
    body = {
        "site_id": data.site_ids[0],
        "worker_id": data.worker_ids[0],
        "work_date": recent,
        "note": "x",
    }
    assert (
        client.post("/api/v1/manual-entries", json=body, headers=bearer(other)).status_code
        in (403, 404)  # another company's worker: 404 like an unknown one
    )


def test_resolve_an_exception_with_a_reason(
    client: FlaskClient, db_session: Session, data: Loaded
) -> None:
    site = data.site_ids[0]
    db_session.add(
        WorkException(
            kind="unknown_caller", dedupe_key="t:1", site_id=site, detail={}, status="open"
        )
    )
    db_session.flush()
    row = db_session.scalar(select(WorkException).where(WorkException.dedupe_key == "t:1"))
    assert row is not None
    site_admin = make_token(db_session, "site_admin", site_id=site)
    path = f"/api/v1/exceptions/{row.id}/resolve"
    bad = client.post(path, json={"reason_code": "because"}, headers=bearer(site_admin))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "reason_code"
    company_admin = make_token(db_session, "company_admin", company_id=data.company_ids[1])
    assert (
        client.post(
            path, json={"reason_code": "caller_id_withheld"}, headers=bearer(company_admin)
        ).status_code
        == 403
    )
    ok = client.post(
        path,
        json={"reason_code": "phone_not_linked", "note": "番号を登録"},
        headers=bearer(site_admin),
    )
    assert ok.status_code == 200
    assert (ok.json["status"], ok.json["reason_code"]) == ("resolved", "phone_not_linked")
    trail = db_session.scalar(select(AuditEntry).where(AuditEntry.object_id == str(row.id)))
    assert trail is not None and trail.actor == token_actor(db_session, site_admin)
    other = make_token(db_session, "site_admin", site_id=data.site_ids[1])
    assert get(client, other, "/api/v1/exceptions", site_id=site).status_code == 403
    assert [
        x["id"] for x in get(client, other, "/api/v1/exceptions").json if x["id"] == row.id
    ] == []


def test_reconcile_endpoint_enqueues_a_json_job(
    client: FlaskClient, db_session: Session, data: Loaded, redis_conn: Redis
) -> None:
    admin = make_token(db_session)
    answer = client.post(
        "/api/v1/reconcile",
        json={"site_id": data.site_ids[0], "from": "2025-06-01", "to": "2025-06-03"},
        headers=bearer(admin),
    )
    assert answer.status_code == 202
    job = Job.fetch(answer.json["job_id"], connection=redis_conn, serializer=JSONSerializer)
    assert (job.func_name, job.args) == (
        "jobs.reconcile.reconcile_site_days",
        [data.site_ids[0], "2025-06-01", "2025-06-03"],
    )
    assert job.retries_left == 5 and job.timeout == 600
    bad = client.post(
        "/api/v1/reconcile", json={"from": "2025-06-03", "to": "2025-06-01"}, headers=bearer(admin)
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "to"
    site_admin = make_token(db_session, "site_admin", site_id=data.site_ids[1])
    forbidden = client.post(
        "/api/v1/reconcile",
        json={"site_id": data.site_ids[0], "from": "2025-06-01", "to": "2025-06-01"},
        headers=bearer(site_admin),
    )
    assert forbidden.status_code == 403
    assert db_session.get(Site, data.site_ids[0]) is not None
