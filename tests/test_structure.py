"""The 施工体制 operations (workers_db.structure) through POST /api/v1/site-companies: tiers
stay the depth under the prime after a move, loops are refused, and a company a call added
is confirmed by its site's admin placing it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import AuditEntry, SiteCompany
from workers_db.structure import add_call_edge

from .helpers import bearer, make_company, make_site, make_token


def tiers(session: Session, site_id: int) -> dict[int, tuple[int | None, int | None]]:
    session.expire_all()
    return {
        e.company_id: (e.parent_company_id, e.tier)
        for e in session.scalars(select(SiteCompany).where(SiteCompany.site_id == site_id))
    }


def test_a_move_takes_the_subtree_along_and_a_loop_is_refused(
    client: FlaskClient, db_session: Session
) -> None:
    site = make_site(db_session)
    first, second, third, other = (make_company(db_session) for _ in range(4))
    token = bearer(make_token(db_session, "site_admin", site_id=site.id))
    admin = bearer(make_token(db_session, "admin"))
    db_session.commit()

    def post(headers: dict[str, str] = admin, **body: Any) -> Any:
        return client.post(
            "/api/v1/site-companies", json={"site_id": site.id, **body}, headers=headers
        )

    assert post(company_id=first.id).status_code == 201
    assert post(company_id=other.id).status_code == 201
    assert post(company_id=second.id, parent_company_id=first.id).status_code == 201
    assert post(company_id=third.id, parent_company_id=second.id).json["tier"] == 3
    # first moves under other: second and third go one tier down with it
    moved = post(token, company_id=first.id, parent_company_id=other.id)
    assert moved.status_code == 201 and moved.json["tier"] == 2
    got = tiers(db_session, site.id)
    assert got[first.id] == (other.id, 2)
    assert got[second.id] == (first.id, 3) and got[third.id] == (second.id, 4)
    # first under its own sub-subcontractor would be a loop
    loop = post(token, company_id=first.id, parent_company_id=third.id)
    assert loop.status_code == 422
    assert [e["field"] for e in loop.json["errors"]] == ["parent_company_id"]
    assert tiers(db_session, site.id) == got
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "structure_move"))


def test_a_call_added_company_is_confirmed_by_placing_it_and_is_no_parent_before(
    client: FlaskClient, db_session: Session
) -> None:
    site = make_site(db_session)
    called, newcomer = make_company(db_session), make_company(db_session)
    add_call_edge(db_session, site.id, called.id, site.prime_company_id, 1)
    token = bearer(make_token(db_session, "site_admin", site_id=site.id))
    admin = bearer(make_token(db_session, "admin"))
    db_session.commit()
    under = {"site_id": site.id, "company_id": newcomer.id, "parent_company_id": called.id}
    refused = client.post("/api/v1/site-companies", json=under, headers=admin)
    assert refused.status_code == 422  # an unconfirmed company is nobody's parent yet
    confirm = {"site_id": site.id, "company_id": called.id}
    answer = client.post("/api/v1/site-companies", json=confirm, headers=token)
    assert answer.status_code == 201, answer.json
    assert (answer.json["confirmed"], answer.json["tier"]) == (True, 1)
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "structure_confirm"))
    assert client.post("/api/v1/site-companies", json=under, headers=admin).json["tier"] == 2
