"""The generated OpenAPI description of /api/v1 declares every route, and schemathesis finds
no 5xx in process (the live run on PostgreSQL is tests/test_api_fuzz_live.py).

Schemathesis runs in-process against the WSGI app (on PostgreSQL, inside the test's rolled-back
transaction) with an admin token and with a device token, positive and negative examples, a
bounded number per operation.  Besides "no 5xx", each answer is checked against the events
table: a refused request (4xx) records no event, and `POST /touches` records exactly the
events it reports as accepted.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis import GenerationMode
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voice_app.api.declare import OPERATIONS
from voice_app.api.openapi import openapi_path
from workers_db.models import Event

from .helpers import bearer, make_site, make_token

API = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
EXAMPLES_PER_OPERATION = 12


def _route_operations(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        found |= {(method, path) for method in (rule.methods or set()) & METHODS}
    return found


def _spec_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method.upper() in METHODS
    }


def test_every_route_under_api_v1_is_declared(client: FlaskClient, app: Flask) -> None:
    """A route added with `@bp.get`/`@bp.post` instead of `declare.operation` fails here."""
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    declared = {(op.method, openapi_path(op.rule)) for op in OPERATIONS}
    declared.add(("GET", f"{API}/openapi.json"))
    routed = _route_operations(app)
    assert routed - declared == set(), "routes not declared with voice_app.api.declare"
    assert _spec_operations(spec) == routed


def test_every_operation_says_its_token_statuses_and_bounds(client: FlaskClient) -> None:
    spec = client.get(f"{API}/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path.endswith("/openapi.json"):
                continue
            label = f"{method.upper()} {path}"
            scheme = "deviceToken" if path.endswith("/touches") else "roleToken"
            assert op["security"] == [{scheme: []}], label
            assert {"401", "403", "500"} <= set(op["responses"]), label
            for answer in op["responses"].values():
                assert set(answer.get("content", {})) <= {"application/json"}, label
            for param in op["parameters"]:
                schema = param["schema"]
                if schema.get("type") == "integer":
                    assert "minimum" in schema and "maximum" in schema, (label, param["name"])
    body_ints = spec["components"]["schemas"]["SiteCompanyIn"]["properties"]
    assert body_ints["site_id"]["maximum"] == 2**31 - 1
    links = spec["paths"][f"{API}/workers"]["post"]["responses"]["201"]["links"]
    assert links["GetWorker"] == {
        "operationId": "get_worker",
        "parameters": {"worker_id": "$response.body#/id"},
    }


def _ok(result: Any) -> Any:
    """The operation of a loaded schema entry (an invalid one fails the test with its error)."""
    return result.ok()


def _event_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def _fuzz(
    operation: Any, mode: GenerationMode, token: str, session: Session, seen: list[str]
) -> None:
    """Up to EXAMPLES_PER_OPERATION requests to one operation, each checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hsettings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the label says it all
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        before = _event_count(session)
        response = case.call(headers=bearer(token))
        after = _event_count(session)
        label = f"{case.method} {case.formatted_path} → {response.status_code}"
        seen.append(label)
        assert response.status_code < 500, f"{label}: {response.text[:300]}"
        if response.status_code >= 400:
            assert after == before, f"{label} refused the request but recorded an event"
        elif case.path.endswith("/touches"):
            accepted = response.json()["accepted"]
            assert after - before == accepted, f"{label}: {accepted} accepted"

    fuzz()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_every_operation_finds_no_5xx_and_garbage_records_nothing(
    app: Flask, db_session: Session, mode: GenerationMode
) -> None:
    site = make_site(db_session, code="7777")
    tokens = {
        "admin": make_token(db_session, "admin"),
        "device": make_token(db_session, "device", site_id=site.id, device_name="fuzz-reader"),
    }
    db_session.commit()
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    seen: list[str] = []
    for result in schema.get_all_operations():
        operation = _ok(result)
        token = tokens["device" if operation.path.endswith("/touches") else "admin"]
        _fuzz(operation, mode, token, db_session, seen)
    assert len({label.split(" → ")[0].split(" ")[0] for label in seen}) >= 2
    assert len(seen) >= len(_spec_operations(schema.raw_schema))
