"""Japanese text normalised on the way in (CSV import, API, admin forms) and the admin worker
search that normalises its query the same way and matches name or reading."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.import_csv import parse_bytes
from workers_db.importer import import_csv
from workers_db.models import Company, Worker
from workers_db.registration import create_worker
from workers_db.text import clean_text, kana_text

from .admin_support import CSRF, World, login_as, world_fixture  # noqa: F401
from .helpers import bearer, make_company, make_token
from .import_support import excel_cp932, worker_row

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("大野　健太", "大野 健太"),
        ("  大野 \u3000 健太 ", "大野 健太"),
        ("ＡＢＣ１２３", "ABC123"),
        ("ｵｵﾉ ｹﾝﾀ", "オオノ ケンタ"),
        ("", ""),
    ],
)
def test_clean_text(typed: str, stored: str) -> None:
    assert clean_text(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("おおの　けんた", "オオノ ケンタ"),
        ("ｵｵﾉ ｹﾝﾀ", "オオノ ケンタ"),
        ("ｶﾞｯｺｳ", "ガッコウ"),  # voiced marks join their letter
        ("オオノ ケンタ", "オオノ ケンタ"),
        ("いすゞ", "イスヾ"),
    ],
)
def test_kana_text_is_katakana_whatever_was_typed(typed: str, stored: str) -> None:
    assert kana_text(typed) == stored


def test_every_way_in_stores_the_normalised_spelling(
    client: FlaskClient, db_session: Session
) -> None:
    parsed = parse_bytes(
        excel_cp932([worker_row(1, worker="大野　健太", worker_kana="おおの　けんた")])
    )
    assert (parsed.rows[0].worker, parsed.rows[0].worker_kana) == ("大野 健太", "オオノ ケンタ")

    company = make_company(db_session)
    worker = create_worker(db_session, "佐藤　一郎", company.id, name_kana="ｻﾄｳ ｲﾁﾛｳ")
    assert (worker.name, worker.name_kana) == ("佐藤 一郎", "サトウ イチロウ")

    admin = bearer(make_token(db_session, "admin"))
    body = {"name": "鈴木\u3000次郎", "company_id": company.id, "name_kana": "すずき じろう"}
    created = client.post("/api/v1/workers", json=body, headers=admin)
    assert created.status_code == 201, created.json
    stored = db_session.get(Worker, created.json["id"])
    assert stored is not None and (stored.name, stored.name_kana) == ("鈴木 次郎", "スズキ ジロウ")


def search(client: FlaskClient, q: str) -> str:
    """The worker page's search box: POSTed, then the page by its opaque token."""
    form = {"csrf_token": CSRF, "to": "admin.workers", "q": q}
    answer = client.post("/admin/search", data=form, follow_redirects=True)
    assert answer.status_code == 200 and answer.request.path == "/admin/workers"
    return answer.get_data(as_text=True)


def test_a_worker_imported_with_a_full_width_space_is_found_every_way(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    data = excel_cp932(
        [
            worker_row(1, company=world.a.sub.name, company_ccus_id="", worker="大野　健太",
                       worker_kana="おおの　けんた"),
            worker_row(2, company=world.a.sub.name, company_ccus_id="", worker="山田　花子",
                       worker_kana="ヤマダ ハナコ"),
        ]
    )  # fmt: skip
    assert import_csv(db_session, data).written
    db_session.commit()
    login_as(client, world.admin)
    queries = ("大野 健太", "大野　健太", "大野健太", "おおの", "ｵｵﾉ", "オオノ ケンタ")
    for q in (*queries, "おおのけんた"):
        html = search(client, q)
        assert "大野 健太" in html, q
        assert "山田 花子" not in html, q
    assert "大野 健太" not in search(client, "100%")  # LIKE's wildcards are literal


def test_the_company_search_normalises_its_query_like_the_worker_search(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    make_company(
        db_session, "大野\u3000建設", name_kana="おおの けんせつ", ccus_business_id="12345678901234"
    )
    make_company(db_session, "山田工務店", name_kana="ヤマダ コウムテン")
    db_session.commit()
    login_as(client, world.admin)
    for q in (
        "大野 建設",
        "大野　建設",
        "大野建設",
        "おおの",
        "ｵｵﾉ",
        "オオノケンセツ",
        "1234-5678",
    ):
        form = {"csrf_token": CSRF, "to": "admin.companies", "q": q}
        answer = client.post("/admin/search", data=form, follow_redirects=True)
        assert answer.status_code == 200 and answer.request.path == "/admin/companies"
        html = answer.get_data(as_text=True)
        assert "大野 建設" in html, q
        assert "山田工務店" not in html, q


def test_the_data_migration_normalises_rows_written_before_it(db_session: Session) -> None:
    company = Company(name="旧　会社", name_kana="きゅう")
    db_session.add(company)
    db_session.flush()
    old = Worker(name="大野　健太", name_kana="ｵｵﾉ ｹﾝﾀ", company_id=company.id, language="ja")
    db_session.add(old)
    db_session.flush()
    path = ROOT / "workers_db" / "migrations" / "versions" / "0004_normalise_names.py"
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    context = MigrationContext.configure(db_session.connection())
    with Operations.context(context):
        migration.upgrade()
    db_session.expire_all()
    assert db_session.scalar(select(Worker.name).where(Worker.id == old.id)) == "大野 健太"
    assert db_session.get(Worker, old.id).name_kana == "オオノ ケンタ"  # type: ignore[union-attr]
    assert (company.name, company.name_kana) == ("旧 会社", "キュウ")
