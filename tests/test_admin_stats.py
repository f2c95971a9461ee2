"""Admin UI statistics: the figures (docs/figures.md) per site and per prime, target progress,
charts (inline SVG), and the statistics export."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from jobs.stats_context import fiscal_year_of
from workers_db.intake import record_event
from workers_db.models import Target
from workers_db.registration import create_worker

from .admin_support import World, login_as, world_fixture  # noqa: F401
from .reconcile_support import RULES

TOKYO = ZoneInfo("Asia/Tokyo")


def _history(session: Session, world: World) -> tuple[str, str]:
    """Five days at site A: a registered worker calls in daily; the world's unregistered
    worker twice more besides today's call: 5 + 3 worker-days, 5 of them countable."""
    today = datetime.now(TOKYO).date()
    first = today - timedelta(days=4)
    registered = create_worker(
        session,
        "登録 済男",
        world.a.sub.id,
        ccus_worker_id="12345678901234",
        card_level=3,
        kentaikyo=True,
    )
    for n in range(5):
        day = first + timedelta(days=n)
        moment = datetime.combine(day, time(7, 45), tzinfo=TOKYO).astimezone(UTC)
        record_event(
            session,
            external_id=f"hist-r-{n}",
            source="phone",
            site_id=world.a.site.id,
            occurred_at=moment,
            tz=TOKYO,
            worker_id=registered.id,
            direction="entry",
        )
        if n < 2:
            record_event(
                session,
                external_id=f"hist-u-{n}",
                source="phone",
                site_id=world.a.site.id,
                occurred_at=moment + timedelta(minutes=3),
                tz=TOKYO,
                worker_id=world.a.worker.id,
                direction="entry",
            )
    reconcile(session, world.a.site.id, first, today, rules=RULES)
    session.add(
        Target(
            company_id=world.a.prime.id,
            fiscal_year=fiscal_year_of(today),
            target_count=400,
            commitment_count=200,
        )
    )
    session.commit()
    return first.isoformat(), today.isoformat()


def _tile(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}"><div class="num">([^<]*)</div>', html)
    assert match, key
    return match.group(1)


def test_prime_statistics_with_target_and_charts(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    start, end = _history(db_session, world)
    login_as(client, world.a.users["prime_admin"])
    answer = client.get(f"/admin/stats?from={start}&to={end}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    # only the registered worker's days are countable (docs/figures.md)
    assert _tile(html, "worker_days") == "8"
    assert _tile(html, "work_history_count") == "5"
    assert _tile(html, "accumulation_rate") == "62.5%"
    assert _tile(html, "worker_registration_rate") == "50.0%"
    assert _tile(html, "kentaikyo_yen") == "¥1,600"
    # daily counts, rates, card levels, target: each drawn for a desktop and for a phone
    assert html.count("<svg") == 8 and html.count('class="chart-narrow"') == 4
    daily = html[html.index('id="chart-daily"') : html.index('id="chart-rates"')]
    assert daily.count("<rect") >= 5 + 3  # a countable bar per day, three uncounted on top
    assert "レベル3" in html or "銀" in html
    assert "年度の目標とコミットメント" in html and "400" in html
    assert world.b.site.name not in html


def test_site_statistics_and_scope(client: FlaskClient, world: World, db_session: Session) -> None:
    start, end = _history(db_session, world)
    login_as(client, world.a.users["site_admin"])
    html = client.get(f"/admin/stats?site_id={world.a.site.id}&from={start}&to={end}").get_data(
        as_text=True
    )
    assert _tile(html, "work_history_count") == "5"
    assert "年度の目標" not in html  # a prime's target is the prime's business
    assert client.get(f"/admin/stats?prime_company_id={world.a.prime.id}").status_code == 403
    assert client.get(f"/admin/stats?site_id={world.b.site.id}").status_code == 403


def test_company_admin_statistics_cover_own_workers(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    start, end = _history(db_session, world)
    other = create_worker(db_session, "他社 次郎", world.a.prime.id)
    record_event(
        db_session,
        external_id="prime-own",
        source="phone",
        site_id=world.a.site.id,
        occurred_at=datetime.now(UTC),
        tz=TOKYO,
        worker_id=other.id,
    )
    reconcile(
        db_session,
        world.a.site.id,
        datetime.now(TOKYO).date(),
        datetime.now(TOKYO).date(),
        rules=RULES,
    )
    db_session.commit()
    login_as(client, world.a.users["company_admin"])
    html = client.get(f"/admin/stats?site_id={world.a.site.id}&from={start}&to={end}").get_data(
        as_text=True
    )
    assert _tile(html, "worker_days") == "8"  # the prime's own worker is not theirs


def test_statistics_export(client: FlaskClient, world: World, db_session: Session) -> None:
    start, end = _history(db_session, world)
    login_as(client, world.a.users["prime_admin"])
    xlsx = client.get(f"/admin/exports/stats.xlsx?from={start}&to={end}")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["概要", "日別", "会社別", "現場別"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert summary["就業履歴数 (タッチ数)"] == 5 and summary["目標"] == 400
    daily = list(book["日別"].iter_rows(values_only=True))
    assert daily[0][0] == "日付" and len(daily) == 1 + 5
    csv_answer = client.get(f"/admin/exports/stats.csv?from={start}&to={end}&table=companies")
    text = csv_answer.data.decode("utf-8-sig")
    assert text.startswith("会社名,次数,事業者登録") and world.a.sub.name in text
