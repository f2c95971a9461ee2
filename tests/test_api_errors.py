"""Every answer under /api/v1 is JSON `{"errors": [{"field", "message"}]}`, whatever the
status, and ids and numbers are bounded before the database sees them."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from voice_app import create_app
from voice_app.api import registry_workers
from workers_db.settings import Settings

from .helpers import bearer, make_company, make_site, make_token

API = "/api/v1"


@pytest.fixture
def admin(db_session: Session) -> dict[str, str]:
    token = make_token(db_session, "admin")
    db_session.commit()
    return bearer(token)


def _errors(response: object, status: int) -> list[dict[str, object]]:
    assert response.status_code == status, response.data  # type: ignore[attr-defined]
    assert response.mimetype == "application/json"  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert set(body) == {"errors"} and body["errors"]
    assert all(set(e) == {"field", "message"} and e["message"] for e in body["errors"])
    return list(body["errors"])


@pytest.mark.parametrize(
    "path", [f"{API}/workers/null%2Cnull", f"{API}/no-such-thing", f"{API}", f"{API}/workers/1/x"]
)
def test_unknown_paths_are_json_404(client: FlaskClient, admin: dict[str, str], path: str) -> None:
    _errors(client.get(path, headers=admin), 404)


def test_an_unknown_id_is_404_naming_the_parameter(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    (problem,) = _errors(client.get(f"{API}/workers/2147483000", headers=admin), 404)
    assert problem["field"] == "worker_id"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{API}/workers?company_id=9240502581177552", "company_id"),
        (f"{API}/workers/9240502581177552", "worker_id"),
        (f"{API}/workers?limit=0", "limit"),
        (f"{API}/workers?limit=10001", "limit"),
        (f"{API}/workers?offset=-1", "offset"),
        (f"{API}/workers?company_id=1.5", "company_id"),
        (f"{API}/workers?company_id=", "company_id"),
        (f"{API}/events?site_id=2147483648&date=2026-01-01", "site_id"),
        (f"{API}/exceptions?limit=0", "limit"),
        (f"{API}/exceptions?kind=nope", "kind"),
        (f"{API}/stats?from=2026-01-01&to=2025-01-01", "to"),
    ],
)
def test_out_of_bounds_numbers_are_422_naming_the_field(
    client: FlaskClient, admin: dict[str, str], url: str, field: str
) -> None:
    problems = _errors(client.get(url, headers=admin), 422)
    assert field in {p["field"] for p in problems}


def test_body_ids_past_the_column_are_422_and_every_problem_is_listed(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    body = {"site_id": 2**31, "company_id": "2", "tier": 0, "colour": "red"}
    problems = _errors(client.post(f"{API}/site-companies", json=body, headers=admin), 422)
    assert {p["field"] for p in problems} == {"site_id", "company_id", "tier", "colour"}
    colour = next(p for p in problems if p["field"] == "colour")
    assert "unknown field" in str(colour["message"])


def test_reconcile_takes_null_as_every_site_as_described(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    spec = client.get(f"{API}/openapi.json").get_json()
    site_id = spec["components"]["schemas"]["ReconcileIn"]["properties"]["site_id"]
    assert {"type": "null"} in site_id["anyOf"]
    bad = {"site_id": "1", "from": "2026-01-01", "to": "2026-01-02"}
    assert _errors(client.post(f"{API}/reconcile", json=bad, headers=admin), 422)[0] == {
        "field": "site_id",
        "message": "must be a whole number, not a JSON string",
    }


def test_401_403_405_413_415_are_json(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    _errors(client.get(f"{API}/workers"), 401)
    _errors(client.get(f"{API}/workers", headers=bearer("wrong")), 401)
    _errors(client.post(f"{API}/touches", json={"events": []}, headers=admin), 403)
    response = client.delete(f"{API}/workers", headers=admin)
    _errors(response, 405)
    assert "GET" in response.headers["Allow"]
    site = make_site(db_session)
    device = bearer(make_token(db_session, "device", site_id=site.id, device_name="r1"))
    db_session.commit()
    huge = json.dumps({"events": ["x" * 1024] * 1100})
    _errors(
        client.post(f"{API}/touches", data=huge, content_type="application/json", headers=device),
        413,
    )
    _errors(
        client.post(f"{API}/companies", data="name=x", content_type="text/plain", headers=admin),
        415,
    )


def test_refusals_speak_the_clients_language(
    client: FlaskClient, admin: dict[str, str], db_session: Session
) -> None:
    """401 and 403 come from the error catalogue like every other problem: Japanese for a
    client that asks for it, English otherwise; a 401 names the scheme it wants."""
    ja = {"Accept-Language": "ja"}
    response = client.get(f"{API}/workers", headers=ja)
    (problem,) = _errors(response, 401)
    assert problem["message"] == "Authorization ヘッダーに Bearer トークンを付けてください"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    (problem,) = _errors(client.get(f"{API}/workers", headers={**bearer("wrong"), **ja}), 401)
    assert "トークンが無効です" in str(problem["message"])
    (problem,) = _errors(client.post(f"{API}/touches", json={"events": []}, headers=admin), 403)
    assert problem["message"] == "a admin token may not use this endpoint"
    prime = make_company(db_session, "別の元請")
    prime_admin = bearer(make_token(db_session, "prime_admin", company_id=prime.id))
    other = make_site(db_session)
    db_session.commit()
    (problem,) = _errors(
        client.get(
            f"{API}/stats?prime_company_id={other.prime_company_id}&from=2026-04-01&to=2026-04-30",
            headers={**prime_admin, **ja},
        ),
        403,
    )
    assert problem["message"] == f"会社 {other.prime_company_id} の元請としての集計は担当外です"
    (problem,) = _errors(
        client.post(
            f"{API}/targets",
            json={
                "prime_company_id": other.prime_company_id,
                "fiscal_year": 2026,
                "touches_target": 10,
                "touches_commitment": 5,
            },
            headers={**prime_admin, **ja},
        ),
        403,
    )
    assert problem["message"].startswith("目標を設定・閲覧できるのは")  # type: ignore[union-attr]


def test_an_unexpected_error_is_a_json_500(
    client: FlaskClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(registry_workers, "workers_in_scope", broken)
    (problem,) = _errors(client.get(f"{API}/workers", headers=admin), 500)
    assert "boom" not in str(problem["message"])


def test_a_reconcile_request_without_redis_is_a_503_that_tells_no_internals(
    settings: Settings, session_factory: sessionmaker[Session], db_session: Session
) -> None:
    """Redis down (nothing listens on the port): 503 in the client's language with
    Retry-After, and neither the address nor Redis' own words reach the client."""
    dead = settings.with_overrides(redis_url="redis://127.0.0.1:18698/0")
    app = create_app(
        {"TESTING": True, "GENBA_SETTINGS": dead, "GENBA_SESSION_FACTORY": session_factory}
    )
    token = bearer(make_token(db_session, "admin"))
    db_session.commit()
    response = app.test_client().post(
        f"{API}/reconcile",
        json={"from": "2026-04-01", "to": "2026-04-02"},
        headers={**token, "Accept-Language": "ja"},
    )
    (problem,) = _errors(response, 503)
    assert str(problem["message"]).startswith("ジョブキュー (Redis) が応答しません")
    assert "18698" not in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "60"
