"""Admin UI daily work: the board, 施工体制, exceptions, 事後登録, exports, the catalogue."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from voice_app.admin import messages
from voice_app.admin.tabular import neutralise
from workers_db.intake import record_event
from workers_db.models import (
    EVENT_SOURCES,
    EXCEPTION_KINDS,
    ROLES,
    AuditEntry,
    Event,
    SiteCompany,
    WorkException,
    WorkRecord,
)
from workers_db.registration import LANGUAGES, create_company, create_worker
from workers_db.structure import add_site_company

from .admin_support import CSRF, World, login_as, world_fixture  # noqa: F401

TOKYO = ZoneInfo("Asia/Tokyo")


def post(client: FlaskClient, url: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": CSRF, **data})


def test_board_shows_who_entered_and_left_by_company_and_tier(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    now = datetime.now(UTC)
    record_event(
        db_session,
        external_id="exit-a",
        source="phone",
        site_id=world.a.site.id,
        occurred_at=now,
        tz=TOKYO,
        worker_id=world.a.worker.id,
        direction="exit",
    )
    other = create_company(db_session, "未確認設備")
    add_site_company(
        db_session,
        world.a.site.id,
        other.id,
        parent_company_id=world.a.sub.id,
        tier=2,
        source="call",
        confirmed=False,
    )
    late = create_worker(db_session, "遅番 太郎", other.id)
    record_event(
        db_session,
        external_id="in-late",
        source="nfc",
        site_id=world.a.site.id,
        occurred_at=now,
        tz=TOKYO,
        worker_id=late.id,
        direction="entry",
    )
    db_session.commit()
    login_as(client, world.a.users["site_admin"])
    html = client.get(f"/admin/sites/{world.a.site.id}/board").get_data(as_text=True)
    assert html.index("協力工業A") < html.index("未確認設備")  # tier 1 before tier 2
    assert "1次" in html and "2次" in html and "未確認" in html
    row_a = re.search(rf'data-worker="{world.a.worker.id}">(.*?)</tr>', html, re.S)
    assert row_a and "status-off" in row_a.group(1)  # entered and left
    row_late = re.search(rf'data-worker="{late.id}">(.*?)</tr>', html, re.S)
    assert row_late and "status-on" in row_late.group(1) and "カード" in row_late.group(1)
    assert f'data-refresh-url="/admin/sites/{world.a.site.id}/board/live"' in html
    live = client.get(f"/admin/sites/{world.a.site.id}/board/live")
    assert live.status_code == 200 and "遅番 太郎" in live.get_data(as_text=True)
    assert "<html" not in live.get_data(as_text=True)


def test_company_admin_sees_only_own_workers_on_the_board(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    stranger_company = create_company(db_session, "別会社")
    add_site_company(
        db_session, world.a.site.id, stranger_company.id, parent_company_id=world.a.prime.id, tier=1
    )
    stranger = create_worker(db_session, "他社 花子", stranger_company.id)
    record_event(
        db_session,
        external_id="stranger",
        source="phone",
        site_id=world.a.site.id,
        occurred_at=datetime.now(UTC),
        tz=TOKYO,
        worker_id=stranger.id,
    )
    db_session.commit()
    login_as(client, world.a.users["company_admin"])
    html = client.get(f"/admin/sites/{world.a.site.id}/board").get_data(as_text=True)
    assert "作業員A" in html and "他社 花子" not in html


def test_confirm_an_unconfirmed_company_under_a_parent(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    called = create_company(db_session, "電話で来た工業")
    edge = add_site_company(db_session, world.a.site.id, called.id, source="call", confirmed=False)
    db_session.commit()
    login_as(client, world.a.users["site_admin"])
    page = client.get(f"/admin/sites/{world.a.site.id}/structure").get_data(as_text=True)
    assert "未確認" in page and "電話で追加" in page
    answer = post(
        client,
        f"/admin/sites/{world.a.site.id}/structure/{edge.id}",
        parent_company_id=world.a.sub.id,
    )
    assert answer.status_code == 302
    db_session.refresh(edge)
    assert (edge.confirmed, edge.parent_company_id, edge.tier) == (True, world.a.sub.id, 2)
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "structure_confirm"))
    # moving the 1st-tier company under the new one would make a loop
    sub_edge = db_session.scalar(
        select(SiteCompany).where(
            SiteCompany.site_id == world.a.site.id, SiteCompany.company_id == world.a.sub.id
        )
    )
    assert sub_edge is not None
    loop = post(
        client,
        f"/admin/sites/{world.a.site.id}/structure/{sub_edge.id}",
        parent_company_id=called.id,
    )
    assert loop.status_code == 400
    # taking the 1st tier out moves its subcontractor up under the prime
    post(client, f"/admin/sites/{world.a.site.id}/structure/{sub_edge.id}/remove")
    db_session.refresh(edge)
    assert (edge.parent_company_id, edge.tier) == (world.a.prime.id, 1)


def test_company_admin_sees_the_tree_but_cannot_change_it(
    client: FlaskClient, world: World
) -> None:
    login_as(client, world.a.users["company_admin"])
    page = client.get(f"/admin/sites/{world.a.site.id}/structure")
    assert page.status_code == 200 and "structure/add" not in page.get_data(as_text=True)
    assert (
        post(
            client, f"/admin/sites/{world.a.site.id}/structure/add", company_id=world.a.sub.id
        ).status_code
        == 403
    )


def test_resolve_with_a_reason_in_one_click(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    page = client.get(f"/admin/exceptions?site_id={world.a.site.id}").get_data(as_text=True)
    assert "未登録の電話番号" in page and "080-1001-1001" in page
    exc = world.a.exception
    no_note = post(client, f"/admin/exceptions/{exc.id}/resolve", reason_code="other")
    assert no_note.status_code == 302
    db_session.refresh(exc)
    assert exc.status == "open"
    post(client, f"/admin/exceptions/{exc.id}/resolve", reason_code="data_entry_error")
    db_session.refresh(exc)
    assert (exc.status, exc.reason_code, exc.resolved_by) == (
        "resolved",
        "data_entry_error",
        f"user:{world.a.users['site_admin'].id}",
    )
    assert db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "resolve_exception", AuditEntry.object_id == str(exc.id)
        )
    )


def test_link_an_unknown_caller_to_a_worker_gives_them_the_call(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    exc = world.a.exception
    answer = post(client, f"/admin/exceptions/{exc.id}/link", worker_id=world.a.worker.id)
    assert answer.status_code == 302
    db_session.refresh(exc)
    assert exc.status == "resolved" and exc.reason_code == "phone_not_linked"
    event = db_session.get(Event, exc.event_id)
    assert event is not None and event.worker_id == world.a.worker.id
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "link_phone"))
    # a worker of another prime's site cannot be chosen
    other = world.a.exception
    assert (
        post(client, f"/admin/exceptions/{other.id}/link", worker_id=world.b.worker.id).status_code
        == 403
    )


def test_manual_entry_counts_after_approval(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["company_admin"])
    day = (datetime.now(TOKYO).date() - timedelta(days=2)).isoformat()
    answer = post(
        client,
        f"/admin/sites/{world.a.site.id}/manual",
        worker_id=world.a.worker.id,
        work_date=day,
        time_in="07:50",
        time_out="17:10",
        note="電話を忘れた",
    )
    assert answer.status_code == 302
    events = list(db_session.scalars(select(Event).where(Event.source == "manual")))
    assert sorted(e.direction for e in events) == ["entry", "exit"]
    assert all(e.approved_at is None for e in events)
    pending = list(
        db_session.scalars(
            select(WorkException).where(
                WorkException.kind == "manual_pending", WorkException.status == "open"
            )
        )
    )
    assert len(pending) == 2
    # a company admin may enter the day but not approve it
    assert post(client, f"/admin/exceptions/{pending[0].id}/approve").status_code == 403
    login_as(client, world.a.users["prime_admin"])
    assert post(client, f"/admin/exceptions/{pending[0].id}/approve").status_code == 302
    for event in events:
        db_session.refresh(event)
        assert event.approved_at is not None
        assert event.approved_by == f"user:{world.a.users['prime_admin'].id}"
    for row in pending:
        db_session.refresh(row)
        assert row.status == "resolved"


def test_manual_entry_refuses_a_worker_outside_the_site(client: FlaskClient, world: World) -> None:
    login_as(client, world.a.users["site_admin"])
    answer = post(
        client,
        f"/admin/sites/{world.a.site.id}/manual",
        worker_id=world.b.worker.id,
        work_date=date.today().isoformat(),
        time_in="08:00",
        note="x",
    )
    assert answer.status_code in (403, 404)


def test_exports_are_excel_safe_with_japanese_headers(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    evil = create_worker(db_session, '=HYPERLINK("http://x")', world.a.sub.id, name_kana="@SUM(A1)")
    day = datetime.now(TOKYO).date()
    for worker, site in ((evil, world.a.site), (world.b.worker, world.b.site)):
        db_session.add(
            WorkRecord(
                worker_id=worker.id,
                site_id=site.id,
                work_date=day,
                first_in=datetime.now(UTC),
                sources="phone",
                countable=False,
                event_count=1,
            )
        )
    db_session.commit()
    login_as(client, world.a.users["site_admin"])
    answer = client.get(f"/admin/exports/work-records.csv?from={day}&to={day}")
    assert answer.status_code == 200 and answer.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["就業日", "現場コード", "現場名"]
    assert len(rows) == 2  # site B's record is not in site A's export
    assert rows[1][6] == '\'=HYPERLINK("http://x")' and rows[1][7] == "'@SUM(A1)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[1][9])  # local time
    xlsx = client.get(f"/admin/exports/work-records.xlsx?from={day}&to={day}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    assert sheet["A1"].value == "就業日" and sheet.max_row == 2
    assert sheet["G2"].value == '\'=HYPERLINK("http://x")' and sheet["G2"].data_type == "s"


def test_neutralise_covers_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "1+1") == "'" + start + "1+1"
    assert neutralise("山田") == "山田" and neutralise(-5) == -5


def test_every_message_key_used_exists() -> None:
    root = Path(__file__).parent.parent / "voice_app" / "admin"
    used: set[str] = set()
    pattern = re.compile(r"""(?:\b_|translate)\(\s*["']([a-z_0-9]+\.[a-z_0-9.]+)["']""")
    for path in [*root.rglob("*.html"), *root.glob("*.py")]:
        used.update(pattern.findall(path.read_text()))
    dynamic = (
        [f"kind.{k}" for k in EXCEPTION_KINDS]
        + [f"kind_help.{k}" for k in EXCEPTION_KINDS]
        + [f"role.{r}" for r in ROLES]
        + [f"source.{s}" for s in EVENT_SOURCES]
        + [f"language.{code}" for code in LANGUAGES]
        + [f"level.{n}" for n in range(1, 5)]
        + [f"structure.source.{s}" for s in ("admin", "call", "nfc", "import", "api")]
        + [
            "direction.entry",
            "direction.exit",
            "direction.none",
            "lookup.phones_hint",
            "lookup.cards_hint",
            "error.400",
            "error.401",
            "error.403",
            "error.404",
            "error.csrf",
            "error.other",
            "login.failed",
            "login.locked",
            "import.no_file",
            "import.too_big",
        ]
    )
    missing = sorted(
        k for k in [*used, *dynamic] if not k.endswith(".") and k not in messages.MESSAGES
    )
    assert missing == []
    assert all(ja.strip() and en.strip() for ja, en in messages.MESSAGES.values())


def test_a_worker_identified_by_pin_is_preselected_for_linking(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    exc = world.a.exception
    exc.detail = {**exc.detail, "identified_worker_id": world.a.worker.id, "by": "pin"}
    db_session.commit()
    login_as(client, world.a.users["site_admin"])
    html = client.get(f"/admin/exceptions?site_id={world.a.site.id}").get_data(as_text=True)
    card = html[html.index(f'id="exc-{exc.id}"') :]
    # the picker's hidden field holds the identified worker: one press of the button links it
    assert f'<input type="hidden" name="worker_id" value="{world.a.worker.id}">' in card
    assert "PINにより本人確認済み" in card
