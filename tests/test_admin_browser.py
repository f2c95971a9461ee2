"""The site office in a real browser: Debian's Chromium driven by Playwright against the app
served on a 184xx port with real commits.

- the "must show": a new site admin, starting from the demo data, logs in, registers a
  worker's phone, the worker calls (signed Twilio webhooks, played by the call simulator)
  and the call appears on the board by itself;
- a CSV with a bad row names the row; an exception is resolved in one click; a chart renders;
- role isolation: another site's page and API answer 403; the phone layout does not overflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from voice_app import create_app
from voice_app.callsim import CallSimulator, ScriptedKeys
from voice_app.demo_data import SITE_A, seed
from workers_db.db import make_session_factory
from workers_db.models import Site
from workers_db.settings import Settings

from .admin_browser_support import chromium, free_port, serve
from .admin_support import PASSWORD, World, build_world, make_user
from .conftest import TWILIO_TEST_TOKEN

pytestmark = pytest.mark.browser
TOKYO = ZoneInfo("Asia/Tokyo")
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@dataclass
class Live:
    url: str
    app: Flask
    factory: sessionmaker[Session]


@pytest.fixture
def live(settings: Settings, committed_db: Engine, redis_conn: Redis) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(public_base_url=url),
            "ADMIN_BOARD_REFRESH_S": 1,  # the board refreshes itself every second here
        }
    )
    with serve(app, port):
        yield Live(url, app, make_session_factory(committed_db))


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    yield tab
    context.close()


def log_in(page: Any, live: Live, email: str, path: str = "/admin/") -> None:
    page.goto(live.url + path)
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()


def test_new_site_admin_registers_a_phone_and_sees_the_call_on_the_board(
    page: Any, live: Live
) -> None:
    from playwright.sync_api import expect

    with live.factory() as session:
        demo = seed(session, TOKYO)
        make_user(session, "genba@example.jp", "site_admin", site=demo.sites[SITE_A[0]])
        session.commit()
    log_in(page, live, "genba@example.jp")
    expect(page.locator("h1")).to_contain_text(SITE_A[1])  # straight onto the site's board

    page.get_by_role("link", name="技能者", exact=True).click()
    page.get_by_role("link", name="＋ 技能者を登録").click()
    page.fill('input[name="name"]', "新人 太郎")
    page.fill('input[name="name_kana"]', "シンジン タロウ")
    page.select_option('select[name="company_id"]', label="山田鉄筋工業株式会社")
    page.fill('input[name="phones"]', "080-1234-0001")
    page.get_by_role("button", name="登録する").click()
    expect(page.locator(".flash-ok")).to_contain_text("新人 太郎 さんを登録しました")
    expect(page.locator("body")).to_contain_text("080-1234-0001")

    page.get_by_role("link", name="入退場ボード").first.click()
    board = page.locator("#board-live")
    expect(board).not_to_contain_text("新人 太郎")
    call = CallSimulator(
        f"{live.url}/twilio/voice",
        "+818012340001",
        SITE_A[2],
        TWILIO_TEST_TOKEN,
        ScriptedKeys(""),
        echo=lambda _line: None,
    )
    outcome = call.run()
    assert outcome.ending in ("hangup", "end"), outcome.transcript
    # no reload: the board's own refresh brings the call in
    row = board.locator("tr", has_text="新人 太郎")
    expect(row).to_contain_text("現場内")
    expect(row).to_contain_text("電話")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_csv_bad_row_exception_resolution_and_chart(page: Any, live: Live) -> None:
    from playwright.sync_api import expect

    with live.factory() as session:
        world: World = build_world(session)
        session.commit()
        site_a, exception_id = world.a.site.id, world.a.exception.id
    log_in(page, live, "sitea@example.jp")

    page.get_by_role("link", name="CSV取込").first.click()
    csv_text = (
        "会社名,事業者ID,一人親方,氏名,フリガナ,技能者ID,電話番号,カードID,言語,PIN\r\n"
        "内装工業,,いいえ,田中 一,タナカ ハジメ,,090-3333-0001,,日本語,\r\n"
        "内装工業,,いいえ,田中 二,タナカ ジ,,090-33,,日本語,\r\n"
    )
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "workers.csv", "mimeType": "text/csv", "buffer": csv_text.encode("cp932")}],
    )
    page.get_by_role("button", name="アップロード").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("3行目")
    expect(result).to_contain_text("何も登録していません")

    page.goto(f"{live.url}/admin/exceptions?site_id={site_a}")
    card = page.locator(f"#exc-{exception_id}")
    expect(card).to_contain_text("未登録の電話番号")
    card.get_by_role("button", name="入力ミス").click()
    expect(page.locator(".flash-ok")).to_contain_text("解決済みにしました")
    expect(page.locator(f"#exc-{exception_id}")).to_have_count(0)

    page.goto(f"{live.url}/admin/stats?site_id={site_a}")
    chart = page.locator("#chart-daily .chart-wide svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80
    assert page.locator("#chart-levels svg rect").count() >= 5


def test_role_isolation_in_the_browser_and_phone_layout(browser: Any, live: Live) -> None:
    from playwright.sync_api import expect

    with live.factory() as session:
        world = build_world(session)
        session.commit()
        other_site = session.get(Site, world.b.site.id)
        assert other_site is not None
        b_board = f"/admin/sites/{world.b.site.id}/board"
        b_worker = f"/api/v1/workers/{world.b.worker.id}"
        a_board = f"/admin/sites/{world.a.site.id}/board"
        a_token = world.a.token
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        log_in(page, live, "sitea@example.jp")
        answer = page.goto(live.url + b_board)
        assert answer is not None and answer.status == 403
        expect(page.locator("body")).to_contain_text("権限がありません")
        api = page.request.get(live.url + b_worker, headers={"Authorization": f"Bearer {a_token}"})
        assert api.status == 404  # another scope's worker reads like an unknown one
        page.goto(live.url + a_board)
        expect(page.locator("#board-live")).to_contain_text("作業員A")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the board overflows a phone's screen ({width}px)"
        button = page.get_by_role("link", name="技能者", exact=True).bounding_box()
        assert button is not None and button["height"] >= 44  # a thumb-sized target
    finally:
        context.close()
