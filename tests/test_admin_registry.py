"""Admin UI registry pages: workers with phones and cards, companies, sites, CSV upload."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import AuditEntry, Card, Company, Phone, Site, SiteCompany, Worker
from workers_db.registration import hash_pin, verify_secret

from .admin_support import CSRF, World, login_as, world_fixture  # noqa: F401


def post(client: FlaskClient, url: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": CSRF, **data})


def test_site_admin_registers_a_worker_with_a_phone(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    form = client.get("/admin/workers/new").get_data(as_text=True)
    assert world.a.sub.name in form and world.b.sub.name not in form  # only their companies
    answer = post(
        client,
        "/admin/workers/new",
        name="鈴木 次郎",
        name_kana="スズキ ジロウ",
        company_id=world.a.sub.id,
        phones="０９０－５５５５－６６６６",
        card_uids="01-23-45-67-89-ab-cd-ef",
        language="vi",
        card_level="2",
    )
    assert answer.status_code == 302
    worker = db_session.scalar(select(Worker).where(Worker.name == "鈴木 次郎"))
    assert worker is not None and worker.language == "vi" and worker.card_level == 2
    assert [p.e164 for p in worker.phones] == ["+819055556666"]
    assert [c.uid for c in worker.cards] == ["F:0123456789ABCDEF"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "090-5555-6666" in page and "登録しました" in page
    assert db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "create_worker", AuditEntry.object_id == str(worker.id)
        )
    )


def test_bad_fields_are_named_and_nothing_is_written(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.admin)
    before = db_session.scalar(select(func.count(Worker.id)))
    answer = post(
        client,
        "/admin/workers/new",
        name="",
        company_id=world.a.sub.id,
        phones="090-1234",
        ccus_worker_id="123",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "入力してください" in html  # name
    assert "桁数" in html  # phone
    assert "14桁" in html  # CCUS id
    assert 'value="090-1234"' in html  # what was typed is kept
    assert db_session.scalar(select(func.count(Worker.id))) == before


def test_a_phone_of_another_worker_is_refused(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.admin)
    answer = post(client, f"/admin/workers/{world.a.worker.id}/phones", phone="090-2222-0002")
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "別の技能者" in page
    assert db_session.scalar(select(Phone.worker_id).where(Phone.e164 == "+819022220002")) == (
        world.b.worker.id
    )


def test_add_and_remove_phone_and_card(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["company_admin"])
    worker = world.a.worker
    assert (
        post(client, f"/admin/workers/{worker.id}/phones", phone="+81 80 7777 8888").status_code
        == 302
    )
    phone = db_session.scalar(select(Phone).where(Phone.e164 == "+818077778888"))
    assert phone is not None and phone.worker_id == worker.id
    post(client, f"/admin/workers/{worker.id}/phones/{phone.id}/delete")
    assert db_session.scalar(select(Phone).where(Phone.e164 == "+818077778888")) is None
    post(client, f"/admin/workers/{worker.id}/cards", card_uid="A:04A1B2C3D4E5F6")
    card = db_session.scalar(select(Card).where(Card.uid == "A:04A1B2C3D4E5F6"))
    assert card is not None and card.active
    post(client, f"/admin/workers/{worker.id}/cards/{card.id}/active", active="0")
    db_session.refresh(card)
    assert card.active is False
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"link_phone", "remove_phone", "link_card", "deactivate_card"} <= actions


def test_edit_and_deactivate_a_worker(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    worker = world.a.worker
    answer = post(
        client,
        f"/admin/workers/{worker.id}",
        name="作業員A改",
        name_kana="カイ",
        company_id=world.a.sub.id,
        ccus_worker_id="1234-5678-9012-34",
        language="ja",
        kentaikyo="1",
        pin="4821",
    )
    assert answer.status_code == 302
    db_session.refresh(worker)
    assert (worker.name, worker.ccus_worker_id, worker.kentaikyo) == (
        "作業員A改",
        "12345678901234",
        True,
    )
    # the PIN hasher every other way in uses (creation, CSV import), not the passwords' one
    assert worker.pin_hash and verify_secret(worker.pin_hash, "4821")
    assert worker.pin_hash.split("$")[3] == hash_pin("0000").split("$")[3]
    post(client, f"/admin/workers/{worker.id}/active", active="0")
    db_session.refresh(worker)
    assert worker.active is False
    listed = client.get("/admin/workers").get_data(as_text=True)
    assert "作業員A改" not in listed
    assert "作業員A改" in client.get("/admin/workers?show=all").get_data(as_text=True)


def test_search_workers_by_phone_spelling(client: FlaskClient, world: World) -> None:
    login_as(client, world.admin)
    page = client.get("/admin/workers?q=090-1111-0001").get_data(as_text=True)
    assert "作業員A" in page and "作業員B" not in page
    lookup = client.get("/admin/phones?q=09022220002").get_data(as_text=True)
    assert "作業員B" in lookup and "作業員A" not in lookup


def test_site_admin_creates_a_company_into_the_site_structure(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    answer = post(
        client,
        "/admin/companies/new",
        name="新規設備",
        site_id=world.a.site.id,
        sole_proprietor="1",
    )
    assert answer.status_code == 302
    company = db_session.scalar(select(Company).where(Company.name == "新規設備"))
    assert company is not None and company.sole_proprietor
    edge = db_session.scalar(select(SiteCompany).where(SiteCompany.company_id == company.id))
    assert edge is not None and (edge.site_id, edge.parent_company_id, edge.tier) == (
        world.a.site.id,
        world.a.prime.id,
        1,
    )
    assert "新規設備" in client.get("/admin/companies").get_data(as_text=True)
    # a site of another prime cannot be chosen
    assert (
        post(client, "/admin/companies/new", name="X", site_id=world.b.site.id).status_code == 403
    )


def test_company_edit_and_deactivate(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["prime_admin"])
    sub = world.a.sub
    answer = post(
        client,
        f"/admin/companies/{sub.id}",
        name="協力工業A株式会社",
        ccus_business_id="11112222333344",
    )
    assert answer.status_code == 302
    taken = post(
        client,
        f"/admin/companies/{world.a.prime.id}",
        name="元請建設A",
        ccus_business_id="11112222333344",
    )
    assert "登録済み" in taken.get_data(as_text=True)
    post(client, f"/admin/companies/{sub.id}/active", active="0")
    db_session.refresh(sub)
    assert (sub.name, sub.ccus_business_id, sub.active) == (
        "協力工業A株式会社",
        "11112222333344",
        False,
    )


def test_prime_admin_creates_and_edits_a_site(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["prime_admin"])
    answer = post(
        client,
        "/admin/sites/new",
        name="第二現場",
        site_code="31415",
        prime_company_id=world.a.prime.id,
        dial_in_number="050-1234-5678",
        contract_amount_yen="120,000,000",
        answer_mode="reject",
    )
    assert answer.status_code == 302
    site = db_session.scalar(select(Site).where(Site.site_code == "31415"))
    assert (
        site is not None
        and site.contract_amount_yen == 120_000_000
        and site.answer_mode == "reject"
    )
    assert (
        post(
            client,
            "/admin/sites/new",
            name="他社",
            site_code="27182",
            prime_company_id=world.b.prime.id,
        ).status_code
        == 403
    )
    duplicate = post(
        client,
        f"/admin/sites/{site.id}/edit",
        name="第二現場",
        dial_in_number="03-1234-5678",
        answer_mode="confirm",
        active="1",
    )
    assert "別の現場" in duplicate.get_data(as_text=True)
    post(
        client,
        f"/admin/sites/{site.id}/edit",
        name="第二現場 (改)",
        answer_mode="confirm",
        active="1",
        model_works="1",
    )
    db_session.refresh(site)
    assert (site.name, site.model_works, site.dial_in_number) == ("第二現場 (改)", True, None)


CSV_HEADER = "会社名,事業者ID,一人親方,氏名,フリガナ,技能者ID,電話番号,カードID,言語,PIN\r\n"


def upload(client: FlaskClient, text: str, **extra: object):  # type: ignore[no-untyped-def]
    data = {"csrf_token": CSRF, "file": (io.BytesIO(text.encode("cp932")), "workers.csv"), **extra}
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def test_csv_upload_with_a_bad_row_names_it_and_writes_nothing(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    before = db_session.scalar(select(func.count(Worker.id)))
    text = (
        CSV_HEADER
        + "内装工業,,いいえ,田中 一,タナカ ハジメ,,090-3333-0001,,日本語,\r\n"
        + "内装工業,,いいえ,田中 二,タナカ ジ,,090-33,,日本語,\r\n"
    )
    answer = upload(client, text, site_id=world.a.site.id)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "3行目" in html and "電話番号" in html
    assert "何も登録していません" in html
    assert db_session.scalar(select(func.count(Worker.id))) == before


def test_csv_upload_writes_and_places_new_companies_at_the_site(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    text = (
        CSV_HEADER
        + "内装工業,,いいえ,田中 一,タナカ ハジメ,,090-3333-0001,,日本語,\r\n"
        + f"{world.a.sub.name},,いいえ,佐藤 三,サトウ サン,,090-3333-0003,,vi,1234\r\n"
    )
    assert upload(client, text, site_id=world.a.site.id, dry_run="1").status_code == 200
    assert db_session.scalar(select(Worker).where(Worker.name == "田中 一")) is None
    answer = upload(client, text, site_id=world.a.site.id)
    assert answer.status_code == 200 and "登録しました" in answer.get_data(as_text=True)
    worker = db_session.scalar(select(Worker).where(Worker.name == "田中 一"))
    assert worker is not None
    edge = db_session.scalar(select(SiteCompany).where(SiteCompany.company_id == worker.company_id))
    assert edge is not None and edge.site_id == world.a.site.id and edge.source == "import"


def test_csv_upload_keeps_to_the_users_companies(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["company_admin"])
    text = CSV_HEADER + f"{world.b.sub.name},,いいえ,侵入 者,,,090-4444-0001,,,\r\n"
    answer = upload(client, text)
    assert answer.status_code == 422 and "2行目" in answer.get_data(as_text=True)
    assert db_session.scalar(select(Worker).where(Worker.name == "侵入 者")) is None
    own = CSV_HEADER + f"{world.a.sub.name},,いいえ,自社 員,,,090-4444-0002,,,\r\n"
    assert upload(client, own).status_code == 200
    assert db_session.scalar(select(Worker).where(Worker.name == "自社 員")) is not None


def test_template_download(client: FlaskClient, world: World) -> None:
    login_as(client, world.a.users["company_admin"])
    answer = client.get("/admin/import/template.csv")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b"\xef\xbb\xbf") and "電話番号".encode() in answer.data
