"""The site office's pages and downloads: targets entered in the UI and shown on the
statistics page; the 出面表 page and workbook; the 作業員名簿; the 施工体系図; the poster.
Every file is opened by a real reader: openpyxl for XLSX, poppler (pdftotext, pdftoppm,
pdffonts) for PDFs."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from jobs.stats import fiscal_year_of
from tests.admin_support import CSRF, TOKYO, World, login_as, world_fixture  # noqa: F401
from tests.reconcile_support import RULES
from workers_db.intake import record_event
from workers_db.models import SiteCompany, SiteTarget, Target, Worker
from workers_db.registration import create_worker

POPPLER = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (scripts/browser installs it)"
)


def _today() -> date:
    return datetime.now(TOKYO).date()


def _days(session: Session, world: World) -> tuple[Worker, date]:
    """Three days of a registered worker of the subcontractor at site A, last month."""
    today = _today()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    worker = create_worker(
        session,
        "登録 済男",
        world.a.sub.id,
        name_kana="トウロク スミオ",
        ccus_worker_id="12345678901234",
        kentaikyo=True,
    )
    session.execute(
        update(Worker)
        .where(Worker.id == worker.id)
        .values(
            trade="型枠大工",
            birth_date=date(1980, 5, 1),
            hired_on=date(2015, 4, 1),
            health_insurance="協会けんぽ",
            pension_insurance="厚生年金",
            employment_insurance="適用除外",
            emergency_contact="妻 090-0000-1111",
            qualifications=["玉掛け", "足場の組立て等作業主任者"],
        )
    )
    session.execute(
        update(SiteCompany)
        .where(SiteCompany.site_id == world.a.site.id, SiteCompany.company_id == world.a.sub.id)
        .values(trade="型枠工事", chief_engineer="山田 太郎", works_from=first)
    )
    for n in range(3):
        day = first + timedelta(days=n)
        moment = datetime.combine(day, time(7, 52), tzinfo=TOKYO).astimezone(UTC)
        for k, (delta, direction) in enumerate(((0, "entry"), (9 * 60 + 13, "exit"))):
            record_event(
                session,
                external_id=f"doc-{n}-{k}",
                source="phone",
                site_id=world.a.site.id,
                occurred_at=moment + timedelta(minutes=delta),
                tz=TOKYO,
                worker_id=worker.id,
                direction=direction,
            )
    reconcile(session, world.a.site.id, first - timedelta(days=1), today, rules=RULES)
    session.commit()
    return worker, first


def test_targets_entered_in_the_ui_show_on_the_statistics_page(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    _days(db_session, world)
    login_as(client, world.a.users["prime_admin"])
    fy = fiscal_year_of(_today())
    page = client.get("/admin/targets")
    assert page.status_code == 200 and "新目標" in page.get_data(as_text=True)
    saved = client.post(
        "/admin/targets",
        data={
            "csrf_token": CSRF,
            "fiscal_year": str(fy),
            "touches_target": "3,650",
            "touches_commitment": "0",
            "company_rate_target": "90",
            "company_rate_commitment": "0",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    row = db_session.scalars(select(Target)).one()
    assert (row.target_count, row.commitment_count, row.company_rate_target) == (3650, 0, 0.9)
    bad = client.post(
        "/admin/targets",
        data={
            "csrf_token": CSRF,
            "fiscal_year": str(fy),
            "touches_target": "10",
            "touches_commitment": "20",
        },
    )
    assert bad.status_code == 200 and "コミットメント 20 が目標 10 を超えています" in bad.get_data(
        as_text=True
    )
    notified = client.post(
        f"/admin/targets/sites/{world.a.site.id}",
        data={"csrf_token": CSRF, "accumulation_rate": "50", "worker_rate": ""},
    )
    assert notified.status_code == 302
    assert db_session.scalars(select(SiteTarget)).one().accumulation_rate == 0.5
    first = (_today().replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()
    html = client.get(f"/admin/stats?from={first}&to={_today()}").get_data(as_text=True)
    section = html[html.index('id="target-progress"') :]
    assert f"{fy}年度の目標とコミットメント" in section
    assert "3,650" in section
    assert "tag-ok" in section.split("</section>")[0]  # a commitment of 0 is met
    assert 'data-standing="' in section  # 事業者登録率 judged against its pair
    site_html = client.get(
        f"/admin/stats?site_id={world.a.site.id}&from={first}&to={_today()}"
    ).get_data(as_text=True)
    assert 'id="site-target"' in site_html and "50.0%" in site_html
    # nobody else sets a prime's targets
    login_as(client, world.b.users["prime_admin"])
    assert (
        client.post(
            f"/admin/targets/sites/{world.a.site.id}",
            data={"csrf_token": CSRF, "accumulation_rate": "10"},
        ).status_code
        == 403
    )
    login_as(client, world.a.users["site_admin"])
    assert client.get("/admin/targets").status_code == 403


def test_attendance_page_and_workbook(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    worker, first = _days(db_session, world)
    login_as(client, world.a.users["site_admin"])
    month = first.strftime("%Y-%m")
    html = client.get(f"/admin/sites/{world.a.site.id}/attendance?month={month}").get_data(
        as_text=True
    )
    row = html[html.index(f'data-worker="{worker.id}"') :].split("</tr>")[0]
    assert row.count("○") == 3 and "07:52–17:05" in row
    assert "@page { size: A3 landscape" in client.get("/admin/static/admin.css").get_data(
        as_text=True
    )
    answer = client.get(f"/admin/sites/{world.a.site.id}/attendance.xlsx?month={month}")
    assert answer.status_code == 200
    disposition = answer.headers["Content-Disposition"]
    name = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert name and unquote(name.group(1)) == f"出面表_{world.a.site.site_code}_{month}.xlsx"
    sheet = load_workbook(io.BytesIO(answer.data)).active
    assert sheet is not None
    assert sheet.page_setup.paperSize == 8 and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    mine = next(r for r in values if r[2] == worker.name)
    assert mine[3:6] == ["○", "○", "○"] and mine[-1] == 3
    assert values[-1][0] == "人数" and values[-1][-1] == sum(r[-1] for r in values[2:-1])
    csv = client.get(f"/admin/sites/{world.a.site.id}/attendance.csv?month={month}")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "○ 07:52–17:05" in csv.get_data(as_text=True)


def test_roster_in_the_column_order_of_form_5(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    _, first = _days(db_session, world)
    login_as(client, world.a.users["company_admin"])
    month = first.strftime("%Y-%m")
    answer = client.get(f"/admin/sites/{world.a.site.id}/roster.xlsx?month={month}")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == [world.a.sub.name]  # a company admin: its own company only
    sheet = book[world.a.sub.name]
    header = [c.value for c in sheet[5]]
    assert header[:4] == ["番号", "ふりがな", "氏名", "職種"]
    assert header[-2:] == ["入場年月日", "受入教育実施年月日"]
    line = dict(zip(header, [c.value for c in sheet[6]], strict=True))
    assert line["氏名"] == "登録 済男" and line["職種"] == "型枠大工"
    assert line["技能者ID"] == "12345678901234" and line["雇用保険"] == "適用除外"
    assert line["入場年月日"].date() == first and line["建退共・中退共"] == "建退共"
    assert line["教育・資格・免許"] == "玉掛け、足場の組立て等作業主任者"
    assert line["現住所"] in (None, "")  # the project holds no address: left blank
    assert sheet.page_setup.paperSize == 8


@POPPLER
def test_structure_chart_and_poster_pdfs(
    client: FlaskClient, world: World, db_session: Session, tmp_path: Path
) -> None:
    _days(db_session, world)
    login_as(client, world.a.users["site_admin"])
    site = world.a.site
    page = client.get(f"/admin/sites/{site.id}/structure/chart").get_data(as_text=True)
    assert "<svg" in page and "型枠工事" in page and "山田 太郎" in page
    svg = client.get(f"/admin/sites/{site.id}/structure/chart.svg")
    assert svg.mimetype == "image/svg+xml" and world.a.prime.name in svg.get_data(as_text=True)
    for url, expected in (
        (
            f"/admin/sites/{site.id}/structure/chart.pdf",
            ["施工体系図", "元請", "主任技術者: 山田 太郎"],
        ),
        (f"/admin/sites/{site.id}/poster.pdf", [site.name, "03-1234-5678", "Khi đến công trường"]),
    ):
        answer = client.get(url)
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        pdf = tmp_path / "doc.pdf"
        pdf.write_bytes(answer.data)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        for piece in expected:
            assert piece in text, (url, piece)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        japanese = [line for line in fonts.splitlines() if "IPAex" in line]
        assert japanese and all(" yes " in line for line in japanese)  # embedded
        subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "p")], check=True)
        assert list(tmp_path.glob("p*.png"))
    # a site without its own number: the shared one is asked for, the site code printed
    db_session.execute(
        update(type(site)).where(type(site).id == site.id).values(dial_in_number=None)
    )
    db_session.commit()
    assert client.get(f"/admin/sites/{site.id}/poster.pdf").status_code == 400
    shared = client.get(f"/admin/sites/{site.id}/poster.pdf?number=03-5550-0000")
    pdf = tmp_path / "shared.pdf"
    pdf.write_bytes(shared.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "03-5550-0000" in text and f"現場コード {site.site_code} #" in text
