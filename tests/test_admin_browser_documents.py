"""The site office's documents in a real browser (Debian's Chromium, Playwright), at desktop
and phone width, with screenshots: a prime's admin enters the fiscal year's target on 目標 and
sees it on the statistics page against the commitment; the 出面表 shows the month with the
times on hover and fits a phone by scrolling its own table, not the page; the 書類 page
offers the roster, the 施工体系図 and the poster; the 施工体系図 page draws the tree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from jobs.stats import fiscal_year_of
from tests.reconcile_support import RULES
from voice_app.demo_data import SITE_A, seed
from workers_db.intake import record_event
from workers_db.models import Site

from .admin_support import make_user
from .test_admin_browser import TOKYO, Live, browser, live, log_in  # noqa: F401

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return tmp_path


def _month_of_calls(session: Session) -> tuple[Site, date]:
    """The demo data and two days of calls of every demo worker at site A, last month."""
    demo = seed(session, TOKYO)
    site = demo.sites[SITE_A[0]]
    today = datetime.now(TOKYO).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    workers = [w for w in demo.workers.values()]
    for n in range(2):
        day = first + timedelta(days=n)
        for i, worker in enumerate(workers):
            moment = datetime.combine(day, time(7, 40 + i), tzinfo=TOKYO).astimezone(UTC)
            for k, (delta, direction) in enumerate(((0, "entry"), (9 * 60, "exit"))):
                record_event(
                    session,
                    external_id=f"b-doc-{n}-{worker.id}-{k}",
                    source="phone",
                    site_id=site.id,
                    occurred_at=moment + timedelta(minutes=delta),
                    tz=TOKYO,
                    worker_id=worker.id,
                    direction=direction,
                )
    reconcile(session, site.id, first - timedelta(days=1), first + timedelta(days=3), rules=RULES)
    make_user(session, "prime@example.jp", "prime_admin", company=site.prime_company)
    session.commit()
    return site, first


def test_target_in_the_ui_and_the_documents_at_desktop_and_phone_width(
    browser: Any,  # noqa: F811
    live: Live,  # noqa: F811
    shots: Path,
) -> None:
    from playwright.sync_api import expect

    with live.factory() as session:
        site, first = _month_of_calls(session)
        site_id, code = site.id, site.site_code
    month = first.strftime("%Y-%m")
    fy = fiscal_year_of(first)
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live, "prime@example.jp", "/admin/targets")
        page.fill("input[name=fiscal_year]", str(fy))
        page.fill("input[name=touches_target]", "3650")
        page.fill("input[name=touches_commitment]", "0")
        page.fill("input[name=worker_rate_target]", "95")
        page.fill("input[name=worker_rate_commitment]", "50")
        page.locator("#target-form button[type=submit]").click()
        expect(page.locator(".flash-ok")).to_contain_text(f"{fy}年度の目標を登録しました")
        expect(page.locator("#target-list")).to_contain_text("3,650")
        page.screenshot(path=str(shots / "targets.png"), full_page=True)
        last = first + timedelta(days=27)
        page.goto(f"{live.url}/admin/stats?from={first}&to={last}")
        progress = page.locator("#target-progress")
        expect(progress).to_contain_text(f"{fy}年度の目標とコミットメント")
        expect(progress).to_contain_text("3,650")
        expect(progress.locator(".tag-ok").first).to_be_visible()  # a commitment of 0 is met
        expect(progress.locator("[data-standing]")).to_have_count(1)
        progress.screenshot(path=str(shots / "stats-target.png"))

        page.goto(f"{live.url}/admin/sites/{site_id}/attendance?month={month}")
        sheet = page.locator("#attendance")
        expect(sheet).to_contain_text("田中 一郎")
        came = sheet.locator("td.came").first
        assert "07:" in (came.get_attribute("title") or "")  # the times, on hover
        heads = sheet.locator("tfoot th.day").nth(0)
        expect(heads).not_to_have_text("")
        page.screenshot(path=str(shots / "attendance.png"), full_page=True)
        page.goto(f"{live.url}/admin/sites/{site_id}/documents?month={month}")
        expect(page.locator("#roster-form")).to_be_visible()
        expect(page.locator("#poster a.primary")).to_be_visible()
        page.goto(f"{live.url}/admin/sites/{site_id}/structure/chart")
        expect(page.locator("#structure-chart svg g.company").first).to_be_visible()
        page.locator("#structure-chart").screenshot(path=str(shots / "structure.png"))
        poster = page.request.get(f"{live.url}/admin/sites/{site_id}/poster.pdf")
        assert poster.ok and poster.body().startswith(b"%PDF")
        assert f"_{code}.pdf" in (poster.headers.get("content-disposition") or "")

        phone = browser.new_context(locale="ja-JP", viewport=PHONE)
        small = phone.new_page()
        small.set_default_timeout(15_000)
        log_in(small, live, "prime@example.jp", f"/admin/sites/{site_id}/attendance?month={month}")
        expect(small.locator("#attendance")).to_be_visible()
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the 出面表 page overflows a phone ({width}px)"
        tabs = small.locator(".site-head .tabs a")
        for i in range(tabs.count()):  # every tab in view, none off-screen
            box = tabs.nth(i).bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"] + 1
        small.screenshot(path=str(shots / "attendance-phone.png"))
        small.goto(f"{live.url}/admin/stats?from={first}&to={last}")
        expect(small.locator("#target-progress")).to_be_visible()
        small.screenshot(path=str(shots / "stats-phone.png"))
        phone.close()
    finally:
        context.close()
    assert {p.name for p in shots.glob("*.png")} >= {
        "targets.png",
        "stats-target.png",
        "attendance.png",
        "structure.png",
        "attendance-phone.png",
        "stats-phone.png",
    }
