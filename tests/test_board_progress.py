"""The board's progress strip: the site's fiscal-year figures against the figures its prime
notified, and the prime's タッチ数 against its 新目標 pro-rated, only for those who may see the
prime's figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from jobs.stats import fiscal_year_of, fiscal_year_range
from tests.admin_support import TOKYO, World, login_as, world_fixture  # noqa: F401
from tests.reconcile_support import RULES
from workers_db.intake import record_event
from workers_db.models import SiteTarget, Target
from workers_db.registration import create_worker


def _today() -> date:
    return datetime.now(TOKYO).date()


def _seed(session: Session, world: World) -> None:
    """A registered worker on up to three days of this fiscal year at site A, a target of the
    prime out of reach but a commitment of 0, and notified figures one met and one not."""
    today = _today()
    fy_first, _ = fiscal_year_range(fiscal_year_of(today))
    worker = create_worker(
        session, "登録 済男", world.a.sub.id, ccus_worker_id="12345678901234", kentaikyo=True
    )
    days = sorted({max(fy_first, today - timedelta(days=n)) for n in range(3)})
    for n, day in enumerate(days):
        moment = datetime.combine(day, time(7, 52), tzinfo=TOKYO).astimezone(UTC)
        for k, (minutes, direction) in enumerate(((0, "entry"), (9 * 60, "exit"))):
            record_event(
                session,
                external_id=f"progress-{n}-{k}",
                source="phone",
                site_id=world.a.site.id,
                occurred_at=moment + timedelta(minutes=minutes),
                tz=TOKYO,
                worker_id=worker.id,
                direction=direction,
            )
    reconcile(session, world.a.site.id, fy_first, today, rules=RULES)
    session.add(
        Target(
            company_id=world.a.prime.id,
            fiscal_year=fiscal_year_of(today),
            target_count=10**9,
            commitment_count=0,
            company_rate_target=0.9,
            company_rate_commitment=0.8,
        )
    )
    # 技能者登録率 ≥ 0 is met; 就業履歴蓄積率 of 100 % is not (the unregistered worker's day)
    session.add(SiteTarget(site_id=world.a.site.id, worker_rate=0.0, accumulation_rate=1.0))
    session.commit()


def _strip(client: FlaskClient, site_id: int) -> str:
    page = client.get(f"/admin/sites/{site_id}/board")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = re.search(r'<section class="card progress-strip".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _item(strip: str, figure: str) -> str:
    found = re.search(rf'<li data-figure="{figure}".*?</li>', strip, re.S)
    assert found, f"{figure} missing from {strip}"
    return found.group(0)


def test_prime_admin_sees_site_and_prime_progress(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    _seed(db_session, world)
    login_as(client, world.a.users["prime_admin"])
    strip = _strip(client, world.a.site.id)
    assert f"{fiscal_year_of(_today())}年度の進捗" in strip
    worker_rate = _item(strip, "worker_rate")
    assert 'data-met="True"' in worker_rate and "tag-ok" in worker_rate
    accumulation = _item(strip, "accumulation_rate")
    assert 'data-met="False"' in accumulation and "tag-bad" in accumulation
    assert "/ 100.0%" in accumulation
    assert 'data-figure="company_rate"' not in strip  # not notified
    touches = _item(strip, "touches")
    assert 'data-standing="commitment"' in touches and "tag-warn" in touches
    assert "コミットメントのみ達成" in touches


def test_site_admin_sees_only_the_site(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    _seed(db_session, world)
    login_as(client, world.a.users["site_admin"])
    strip = _strip(client, world.a.site.id)
    assert "tag-ok" in _item(strip, "worker_rate")
    assert 'data-figure="touches"' not in strip and "元請のタッチ数" not in strip
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    assert "Fiscal year" in _strip(client, world.a.site.id)


def test_no_strip_without_figures_or_for_a_company_admin(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["prime_admin"])
    assert _strip(client, world.a.site.id) == ""  # nothing notified, no target
    _seed(db_session, world)
    login_as(client, world.a.users["company_admin"])
    assert _strip(client, world.a.site.id) == ""


def test_targets_page_prefills_the_years_figures(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    _seed(db_session, world)
    login_as(client, world.a.users["prime_admin"])
    html = client.get("/admin/targets").get_data(as_text=True)
    start = html.index('id="target-form"')
    form = html[start : html.index("</form>", start)]
    assert 'name="touches_target" value="1000000000"' in form
    assert 'name="touches_commitment" value="0"' in form
    assert 'name="company_rate_target" value="90"' in form
    assert 'name="worker_rate_target" value=""' in form
    other = client.get(f"/admin/targets?fiscal_year={fiscal_year_of(_today()) + 1}")
    assert 'name="touches_target" value=""' in other.get_data(as_text=True)
