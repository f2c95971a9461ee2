"""Role isolation over EVERY route of the app (admin pages, /api/v1, /twilio, probes).

`ROUTES` lists each (method, rule) with who may use it and which object of a site it names.
A route added without an entry fails `test_every_route_is_in_the_table`, which says where to
add it.  For each entry and each role, `test_route_isolation` checks that:
- a role that is not listed gets 403 (and no login/token gets a login redirect/401);
- a prime/site/company admin of side A gets 403 or 404 on side B's objects (B is another
  prime's site with its own subcontractor, worker, phone, card, exception);
- the same request on side A's own objects is allowed (so the 403 above is not a blanket one);
- list pages show nothing of side B;
- each id of the request on its own (path, query, form or JSON body field) replaced by the id
  of every other scope is refused with 403/404 and writes nothing.  The other scopes are side
  B and scope Z: a company that a call added to side A's site *unconfirmed*, with a worker,
  phone, card and company_admin login (an unconfirmed edge widens nobody's scope).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from workers_db.models import (
    AdminUser,
    AuditEntry,
    Card,
    Company,
    Event,
    Phone,
    Site,
    SiteCompany,
    Worker,
    WorkException,
)
from workers_db.registration import add_card, create_company, create_worker
from workers_db.structure import add_call_edge

from .admin_support import CSRF, World, build_world, login_as, make_user
from .helpers import bearer, make_token

ALL = ("admin", "prime_admin", "site_admin", "company_admin")
MANAGERS = ("admin", "prime_admin", "site_admin")
SCOPED = ("prime_admin", "site_admin", "company_admin")  # roles with a side (admin has none)


@dataclass(frozen=True)
class Access:
    """kind: public | twilio-signed | vonage-signed | page (admin UI login) | api (bearer
    token) | device.

    path/query/form values name an object of a side ("site", "company", "worker", "prime",
    "exception", "edge", "phone", "card") or are literals written "=value" ("#n": the number
    n).  `z_allowed` names the objects for which scope Z's id is a legitimate request of
    side A (placing a company a call added to A's site is how A's managers confirm it).
    """

    kind: str
    roles: tuple[str, ...] = ()
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    leak: bool = False
    z_allowed: tuple[str, ...] = ()

    @property
    def names_an_object(self) -> bool:
        values = [*self.path.values(), *self.query.values(), *self.form.values()]
        return any(not v.startswith("=") for v in values)


def page(roles: tuple[str, ...] = ALL, **kw: Any) -> Access:
    return Access("page", roles, **kw)


def api(roles: tuple[str, ...] = ALL, **kw: Any) -> Access:
    return Access("api", roles, **kw)


PUBLIC = Access("public")
TWILIO = Access("twilio-signed")
VONAGE = Access("vonage-signed")
SITE = {"site_id": "site"}

ROUTES: dict[tuple[str, str], Access] = {
    # probes and static files
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/admin/static/<path:filename>"): PUBLIC,
    # Twilio webhooks: only with a valid X-Twilio-Signature
    ("POST", "/twilio/voice"): TWILIO,
    ("POST", "/twilio/status"): TWILIO,
    ("POST", "/twilio/fallback"): TWILIO,
    ("POST", "/twilio/gather/<int:n>"): TWILIO,
    ("POST", "/vonage/answer"): VONAGE,
    ("POST", "/vonage/input/<int:n>"): VONAGE,
    ("POST", "/vonage/event"): VONAGE,
    # admin UI: session
    ("GET", "/admin/login"): PUBLIC,
    ("POST", "/admin/login"): PUBLIC,
    ("POST", "/admin/logout"): PUBLIC,
    ("POST", "/admin/language"): PUBLIC,
    ("GET", "/admin/"): page(),
    # sites and today's board
    ("GET", "/admin/sites"): page(leak=True),
    ("GET", "/admin/sites/new"): page(("admin", "prime_admin")),
    ("POST", "/admin/sites/new"): page(
        ("admin", "prime_admin"),
        form={"prime_company_id": "prime", "name": "=新現場", "site_code": "=98765"},
    ),
    ("GET", "/admin/sites/<int:site_id>/edit"): page(MANAGERS, path=SITE),
    ("POST", "/admin/sites/<int:site_id>/edit"): page(
        MANAGERS, path=SITE, form={"name": "=改名", "answer_mode": "=confirm", "active": "=1"}
    ),
    ("GET", "/admin/sites/<int:site_id>/board"): page(path=SITE),
    ("GET", "/admin/sites/<int:site_id>/board/live"): page(path=SITE),
    ("POST", "/admin/sites/<int:site_id>/manual"): page(
        path=SITE, form={"worker_id": "worker", "time_in": "=07:30", "note": "=忘れた"}
    ),
    # 施工体制
    ("GET", "/admin/sites/<int:site_id>/structure"): page(path=SITE),
    ("POST", "/admin/sites/<int:site_id>/structure/add"): page(
        MANAGERS,
        path=SITE,
        form={"company_id": "company", "parent_company_id": "prime"},
        z_allowed=("company",),
    ),
    ("POST", "/admin/sites/<int:site_id>/structure/<int:edge_id>"): page(
        MANAGERS, path={"site_id": "site", "edge_id": "edge"}
    ),
    ("POST", "/admin/sites/<int:site_id>/structure/<int:edge_id>/remove"): page(
        MANAGERS, path={"site_id": "site", "edge_id": "edge"}
    ),
    # companies
    ("POST", "/admin/search"): page(form={"to": "=admin.phones", "q": "=090"}),
    ("POST", "/admin/workers/pick"): page(form={"q": "=作業員", "site_id": "site"}, leak=True),
    ("GET", "/admin/companies"): page(leak=True),
    ("GET", "/admin/companies/new"): page(MANAGERS),
    ("POST", "/admin/companies/new"): page(MANAGERS, form={"name": "=新会社", "site_id": "site"}),
    ("GET", "/admin/companies/<int:company_id>"): page(path={"company_id": "company"}),
    ("POST", "/admin/companies/<int:company_id>"): page(
        path={"company_id": "company"}, form={"name": "=改名工業"}
    ),
    ("POST", "/admin/companies/<int:company_id>/active"): page(
        MANAGERS, path={"company_id": "company"}, form={"active": "=1"}
    ),
    # workers, phones, cards
    ("GET", "/admin/workers"): page(leak=True),
    ("GET", "/admin/workers/new"): page(),
    ("POST", "/admin/workers/new"): page(form={"name": "=新人", "company_id": "company"}),
    ("GET", "/admin/workers/<int:worker_id>"): page(path={"worker_id": "worker"}),
    ("POST", "/admin/workers/<int:worker_id>"): page(
        path={"worker_id": "worker"}, form={"name": "=改名", "company_id": "company"}
    ),
    ("POST", "/admin/workers/<int:worker_id>/active"): page(
        path={"worker_id": "worker"}, form={"active": "=1"}
    ),
    ("POST", "/admin/workers/<int:worker_id>/phones"): page(
        path={"worker_id": "worker"}, form={"phone": "=090-7000-0001"}
    ),
    ("POST", "/admin/workers/<int:worker_id>/phones/<int:phone_id>/delete"): page(
        path={"worker_id": "worker", "phone_id": "phone"}
    ),
    ("POST", "/admin/workers/<int:worker_id>/cards"): page(
        path={"worker_id": "worker"}, form={"card_uid": "=F:00000000000000AA"}
    ),
    ("POST", "/admin/workers/<int:worker_id>/cards/<int:card_id>/active"): page(
        path={"worker_id": "worker", "card_id": "card"}, form={"active": "=1"}
    ),
    ("GET", "/admin/phones"): page(leak=True),
    ("GET", "/admin/cards"): page(leak=True),
    # CSV import
    ("GET", "/admin/import"): page(),
    ("POST", "/admin/import"): page(MANAGERS, form={"site_id": "site"}),
    ("GET", "/admin/import/template.csv"): page(),
    # exceptions
    ("GET", "/admin/exceptions"): page(MANAGERS, query=SITE),
    ("POST", "/admin/exceptions/<int:exception_id>/resolve"): page(
        MANAGERS, path={"exception_id": "exception"}, form={"reason_code": "=confirmed_correct"}
    ),
    ("POST", "/admin/exceptions/<int:exception_id>/link"): page(
        MANAGERS, path={"exception_id": "exception"}, form={"worker_id": "worker"}
    ),
    ("POST", "/admin/exceptions/<int:exception_id>/approve"): page(
        MANAGERS, path={"exception_id": "exception"}
    ),
    ("POST", "/admin/exceptions/<int:exception_id>/exit-time"): page(
        MANAGERS, path={"exception_id": "exception"}, form={"exit_time": "=15:00"}
    ),
    ("POST", "/admin/exceptions/<int:exception_id>/hop"): page(
        MANAGERS, path={"exception_id": "exception"}, form={"keep": "=1"}
    ),
    # statistics and exports
    ("GET", "/admin/stats"): page(query=SITE),
    # targets and the site's documents
    ("GET", "/admin/targets"): page(("admin", "prime_admin"), query={"prime_company_id": "prime"}),
    ("POST", "/admin/targets"): page(
        ("admin", "prime_admin"),
        query={"prime_company_id": "prime"},
        form={"fiscal_year": "=2026", "touches_target": "=100", "touches_commitment": "=50"},
    ),
    ("POST", "/admin/targets/sites/<int:site_id>"): page(
        ("admin", "prime_admin"), path=SITE, form={"accumulation_rate": "=50"}
    ),
    ("GET", "/admin/sites/<int:site_id>/attendance"): page(path=SITE),
    ("GET", "/admin/sites/<int:site_id>/attendance.<fmt>"): page(path={**SITE, "fmt": "=xlsx"}),
    ("GET", "/admin/sites/<int:site_id>/documents"): page(path=SITE),
    ("GET", "/admin/sites/<int:site_id>/roster.xlsx"): page(path=SITE),
    ("GET", "/admin/sites/<int:site_id>/poster.pdf"): page(path=SITE),
    ("GET", "/admin/sites/<int:site_id>/structure/chart"): page(path=SITE),
    ("GET", "/admin/sites/<int:site_id>/structure/chart.<fmt>"): page(path={**SITE, "fmt": "=svg"}),
    ("POST", "/admin/sites/<int:site_id>/structure/<int:edge_id>/works"): page(
        MANAGERS, path={**SITE, "edge_id": "edge"}, form={"trade": "=型枠工事"}
    ),
    ("POST", "/admin/sites/<int:site_id>/inductions"): page(
        MANAGERS, path=SITE, form={"worker_id": "worker", "induction_on": "=2026-01-05"}
    ),
    ("POST", "/admin/workers/<int:worker_id>/profile"): page(
        path={"worker_id": "worker"}, form={"trade": "=鉄筋工"}
    ),
    ("GET", "/admin/exports"): page(leak=True),
    ("GET", "/admin/exports/work-records.<fmt>"): page(path={"fmt": "=csv"}, query=SITE),
    ("GET", "/admin/exports/stats.<fmt>"): page(path={"fmt": "=xlsx"}, query=SITE),
    # logins
    ("GET", "/admin/users"): page(MANAGERS, leak=True),
    ("POST", "/admin/users"): page(
        MANAGERS,
        form={
            "email": "=new@example.jp",
            "role": "=company_admin",
            "company_id": "company",
            "password": "=long enough pw",
        },
    ),
    ("POST", "/admin/users/<int:user_id>/active"): page(
        MANAGERS, path={"user_id": "company_user"}, form={"active": "=1"}
    ),
    ("POST", "/admin/users/<int:user_id>/password"): page(
        MANAGERS, path={"user_id": "company_user"}, form={"password": "=long enough pw"}
    ),
    # /api/v1: bearer tokens
    ("GET", "/api/v1/companies"): api(leak=True),
    ("POST", "/api/v1/companies"): api(MANAGERS, form={"name": "=API工業"}),
    ("GET", "/api/v1/sites"): api(leak=True),
    ("POST", "/api/v1/sites"): api(
        ("admin", "prime_admin"),
        form={"prime_company_id": "prime", "name": "=API現場", "site_code": "=55555"},
    ),
    ("POST", "/api/v1/site-companies"): api(
        MANAGERS,
        form={"site_id": "site", "company_id": "company", "parent_company_id": "prime"},
        z_allowed=("company",),
    ),
    ("GET", "/api/v1/workers"): api(leak=True),
    ("POST", "/api/v1/workers"): api(form={"name": "=API作業員", "company_id": "company"}),
    ("GET", "/api/v1/workers/<int:worker_id>"): api(path={"worker_id": "worker"}),
    ("POST", "/api/v1/roster"): api(
        MANAGERS, form={"site_id": "site", "worker_id": "worker", "work_date": "today"}
    ),
    ("POST", "/api/v1/touches"): Access("device", ("device",), form={"events": "=[]"}),
    ("POST", "/api/v1/targets"): api(
        ("admin", "prime_admin"),
        form={
            "prime_company_id": "prime",
            "fiscal_year": "=2026",
            "touches_target": "=100",
            "touches_commitment": "=50",
        },
    ),
    ("GET", "/api/v1/targets"): api(("admin", "prime_admin"), query={"prime_company_id": "prime"}),
    ("POST", "/api/v1/site-targets"): api(("admin", "prime_admin"), form={"site_id": "site"}),
    ("GET", "/api/v1/attendance"): api(query={"site_id": "site", "month": "=2026-01"}),
    ("PUT", "/api/v1/workers/<int:worker_id>/profile"): api(
        path={"worker_id": "worker"}, form={"trade": "=鉄筋工"}
    ),
    ("PUT", "/api/v1/sites/<int:site_id>/companies/<int:company_id>"): api(
        MANAGERS, path={**SITE, "company_id": "company"}, form={"trade": "=型枠工事"}
    ),
    ("PUT", "/api/v1/sites/<int:site_id>/workers/<int:worker_id>"): api(
        MANAGERS, path={**SITE, "worker_id": "worker"}, form={"induction_on": "=2026-01-05"}
    ),
    ("GET", "/api/v1/events"): api(query={"site_id": "site", "date": "today"}),
    ("GET", "/api/v1/work-records"): api(query={"site_id": "site", "from": "today", "to": "today"}),
    ("GET", "/api/v1/exceptions"): api(query=SITE),
    ("POST", "/api/v1/exceptions/<int:exception_id>/resolve"): api(
        MANAGERS, path={"exception_id": "exception"}, form={"reason_code": "=confirmed_correct"}
    ),
    ("POST", "/api/v1/events/<int:event_id>/approve"): api(MANAGERS, path={"event_id": "event"}),
    ("POST", "/api/v1/manual-entries"): api(
        form={"site_id": "site", "worker_id": "worker", "work_date": "today", "note": "=忘れ"}
    ),
    ("POST", "/api/v1/reconcile"): api(
        MANAGERS, form={"site_id": "site", "from": "today", "to": "today"}
    ),
    ("GET", "/api/v1/stats"): api(query={"site_id": "site", "from": "today", "to": "today"}),
}


def _routes_of(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_table(app: Flask) -> None:
    missing = sorted(_routes_of(app) - ROUTES.keys())
    assert not missing, (
        f"routes without a role-isolation entry: {missing}. Add each to ROUTES in "
        "tests/test_admin_routes.py with the roles that may use it and the object of a site "
        "it names (or PUBLIC / TWILIO / VONAGE)."
    )
    stale = sorted(ROUTES.keys() - _routes_of(app))
    assert not stale, f"ROUTES lists routes the app no longer has: {stale}"


# ---------------------------------------------------------------- the walk


@dataclass
class Sides:
    ids: dict[str, dict[str, int]]  # side → object name → id
    markers: dict[str, list[str]]  # side → names that only that side's pages show
    users: dict[tuple[str, str], AdminUser]  # (side, role) → user
    tokens: dict[tuple[str, str], str]  # (side, role) → bearer token


def _side_ids(session: Session, world: World, side: str) -> dict[str, int]:
    s = getattr(world, side)
    card = add_card(session, s.worker.id, "F:00000000000000" + ("0A" if side == "a" else "0B"))
    edge = session.scalars(
        select(SiteCompany).where(
            SiteCompany.site_id == s.site.id, SiteCompany.company_id == s.sub.id
        )
    ).one()
    event = session.scalars(select(Event.id).where(Event.worker_id == s.worker.id)).first()
    assert event is not None
    return {
        "company_user": s.users["company_admin"].id,
        "event": event,
        "site": s.site.id,
        "company": s.sub.id,
        "prime": s.prime.id,
        "worker": s.worker.id,
        "exception": s.exception.id,
        "edge": edge.id,
        "phone": s.worker.phones[0].id,
        "card": session.get(Card, card.id).id,  # type: ignore[union-attr]
    }


def _scope_z_ids(session: Session, world: World) -> dict[str, int]:
    """A company a call added to side A's site (unconfirmed), its worker, phone, card and
    company_admin login: the ids of a scope nobody of side A may reach."""
    z = create_company(session, "未確認Z工業")
    worker = create_worker(session, "Z 太郎", z.id, phones=["090-3333-0003"])
    card = add_card(session, worker.id, "F:00000000000000FF")
    add_call_edge(session, world.a.site.id, z.id, world.a.prime.id, 1)
    user = make_user(session, "companyz@example.jp", "company_admin", company=z)
    return {
        "company": z.id,
        "worker": worker.id,
        "phone": worker.phones[0].id,
        "card": card.id,
        "company_user": user.id,
    }


@pytest.fixture
def sides(db_session: Session) -> Sides:
    world = build_world(db_session)
    ids = {side: _side_ids(db_session, world, side) for side in ("a", "b")}
    ids["z"] = _scope_z_ids(db_session, world)
    users: dict[tuple[str, str], AdminUser] = {("-", "admin"): world.admin}
    tokens = {("-", "admin"): make_token(db_session, "admin")}
    for side in ("a", "b"):
        s = getattr(world, side)
        for role in SCOPED:
            users[(side, role)] = s.users[role]
        tokens[(side, "prime_admin")] = make_token(db_session, "prime_admin", company_id=s.prime.id)
        tokens[(side, "site_admin")] = s.token
        tokens[(side, "company_admin")] = make_token(
            db_session, "company_admin", company_id=s.sub.id
        )
        tokens[(side, "device")] = make_token(
            db_session, "device", site_id=s.site.id, device_name=f"reader-{side}"
        )
    db_session.commit()
    markers = {
        side: [
            getattr(world, side).site.name,
            getattr(world, side).sub.name,
            getattr(world, side).worker.name,
        ]
        for side in ("a", "b")
    }
    return Sides(ids, markers, users, tokens)


def _value(spec: str, ids: dict[str, int]) -> Any:
    if spec.startswith("="):
        return spec[1:]
    if spec.startswith("#"):
        return int(spec[1:])
    if spec == "today":
        return date.today().isoformat()
    return ids[spec]


def _request(
    client: FlaskClient,
    method: str,
    rule: str,
    access: Access,
    ids: dict[str, int],
    headers: dict[str, str] | None = None,
) -> Any:
    url = rule
    for name, spec in access.path.items():
        converter = f"<int:{name}>" if f"<int:{name}>" in url else f"<{name}>"
        url = url.replace(converter, str(_value(spec, ids)))
    query = {k: _value(v, ids) for k, v in access.query.items()}
    form = {k: _value(v, ids) for k, v in access.form.items()}
    if access.kind in ("api", "device"):
        if method == "GET":
            return client.get(url, query_string={**query, **form}, headers=headers)
        if form.get("events") == "[]":
            form["events"] = []
        if method == "PUT":
            return client.put(url, query_string=query, json=form, headers=headers)
        return client.post(url, query_string=query, json=form, headers=headers)
    if method == "GET":
        return client.get(url, query_string=query, headers=headers)
    return client.post(url, query_string=query, data={"csrf_token": CSRF, **form}, headers=headers)


def _as(client: FlaskClient, sides: Sides, side: str, role: str) -> dict[str, str] | None:
    """Sign in (page) or pick a token (api); returns headers for api requests."""
    key = ("-", "admin") if role == "admin" else (side, role)
    login_as(client, sides.users[key]) if role in ALL else None
    token = sides.tokens.get(key)
    return bearer(token) if token else None


OK_OWN = {200, 201, 202, 204, 302, 400, 409, 413, 422}
# Tables a refused request must leave as they were (every change in the admin UI and the API
# also leaves an audit row, so updates show up there).
WRITTEN = (AuditEntry, Event, SiteCompany, Worker, Phone, Card, AdminUser, Company, Site)


def _rows(connection: Connection) -> tuple[int, ...]:
    counts = [connection.scalar(select(func.count()).select_from(model)) or 0 for model in WRITTEN]
    opened = select(func.count()).where(WorkException.status == "open")
    return (*counts, connection.scalar(opened) or 0)


def _one_id_of_another_scope(
    access: Access, own: dict[str, int], sides: Sides
) -> list[tuple[str, Access]]:
    """The request with one of its ids (path, query or body) replaced by the id of the same
    kind of object of another scope, for each id and each other scope that has one."""
    variants: list[tuple[str, Access]] = []
    for where in ("path", "query", "form"):
        values: dict[str, str] = getattr(access, where)
        for name, spec in values.items():
            if spec.startswith("=") or spec == "today":
                continue
            for scope in ("b", "z"):
                ids = sides.ids[scope]
                if spec not in ids or (scope == "z" and spec in access.z_allowed):
                    continue
                changed = {**values, name: f"#{ids[spec]}"}
                variants.append(
                    (f"{where} {name}={scope}:{spec}", replace(access, **{where: changed}))
                )
    return variants


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_isolation(
    route: tuple[str, str], app: Flask, sides: Sides, connection: Connection
) -> None:
    method, rule = route
    access = ROUTES[route]
    if "<path:filename>" in rule:
        access = Access("public", path={"filename": "=admin.css"})
    client = app.test_client()
    own, other = sides.ids["a"], sides.ids["b"]

    if access.kind == "public":
        answer = _request(client, method, rule, access, own)
        assert answer.status_code not in (401, 403) and answer.status_code < 500
        return
    if access.kind == "twilio-signed":
        assert client.post(rule.replace("<int:n>", "1"), data={"CallSid": "CA1"}).status_code == 403
        forged = {"X-Twilio-Signature": "Zm9yZ2Vk"}
        answer = client.post(rule.replace("<int:n>", "1"), data={"CallSid": "CA1"}, headers=forged)
        assert answer.status_code == 403
        return
    if access.kind == "vonage-signed":
        url = rule.replace("<int:n>", "1")
        assert client.post(url, json={"uuid": "x"}).status_code == 403
        forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.Zm9yZ2Vk"}
        assert client.post(url, json={"uuid": "x"}, headers=forged).status_code == 403
        return

    anonymous = _request(client, method, rule, access, own)
    # a page redirects to the login (GET) or refuses the POST (no CSRF token, or 401)
    page_answer = {302} if method == "GET" else {400, 401}
    expected = page_answer if access.kind == "page" else {401}
    assert anonymous.status_code in expected, f"anonymous: {anonymous.status_code}"

    roles = ("admin", *SCOPED, "device") if access.kind in ("api", "device") else ALL
    for role in roles:
        nested = connection.begin_nested()  # every role starts from the same data
        try:
            headers = _as(client, sides, "a", role)
            answer = _request(client, method, rule, access, own, headers)
            body = answer.get_data().decode("utf-8", "replace")
            if role not in access.roles:
                assert answer.status_code == 403, f"{role}: {answer.status_code} {body[:300]}"
                continue
            assert answer.status_code in OK_OWN, f"{role} on own: {answer.status_code} {body[:500]}"
            if access.leak and role != "admin":
                for marker in sides.markers["b"]:
                    assert marker not in body, f"{role} sees side B's {marker!r}"
            if role != "admin" and access.names_an_object:
                cross = _request(client, method, rule, access, other, headers)
                assert cross.status_code in (403, 404), (
                    f"{role} of side A on side B: {cross.status_code} {cross.get_data()[:300]!r}"
                )
                for label, variant in _one_id_of_another_scope(access, own, sides):
                    before = _rows(connection)
                    answer = _request(client, method, rule, variant, own, headers)
                    assert answer.status_code in (403, 404), (
                        f"{role} of side A with {label}: {answer.status_code} "
                        f"{answer.get_data()[:300]!r}"
                    )
                    assert _rows(connection) == before, f"{role} with {label} wrote rows"
        finally:
            nested.rollback()
