"""Screenshots of the site office's main pages for docs/screenshots/ (run by
`scripts/screenshots`).

A throw-away instance (SQLite + embedded Redis in a temporary folder) gets the demo data of
`genba-call demo` plus a month of history, a target, exceptions and an unconfirmed company;
the app is served on a 184xx port and Debian's Chromium (Playwright) photographs the login,
today's board (desktop and phone), the exceptions queue, the 施工体制 tree and the statistics.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "screenshot-password"
CHROMIUM_ARGS = [
    "--lang=ja-JP",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build(database_url: str, tz: ZoneInfo) -> dict[str, int]:
    """Demo data, 30 days of calls and touches, a target, exceptions; returns ids to visit."""
    from ivr_flows.days import DayRules
    from jobs.reconcile import reconcile
    from jobs.stats_context import fiscal_year_of
    from voice_app.demo_data import SITE_A, seed
    from workers_db.db import make_engine, make_session_factory
    from workers_db.intake import raise_exception, record_event
    from workers_db.migrate import upgrade
    from workers_db.models import AdminUser, Target
    from workers_db.registration import create_company, create_worker, hash_secret
    from workers_db.structure import add_site_company

    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(6)
    today = datetime.now(tz).date()
    with factory() as session:
        demo = seed(session, tz)
        site = demo.sites[SITE_A[0]]
        companies = demo.companies
        extra = [
            create_worker(
                session,
                name,
                companies[key].id,
                name_kana=kana,
                ccus_worker_id=ccus,
                card_level=level,
                kentaikyo=ccus is not None,
            )
            for name, kana, key, ccus, level in (
                ("小林 健太", "コバヤシ ケンタ", "rebar", "20000000000101", 2),
                ("加藤 浩二", "カトウ コウジ", "rebar", "20000000000102", 3),
                ("吉田 大樹", "ヨシダ ダイキ", "formwork", "20000000000103", 1),
                ("山口 亮", "ヤマグチ リョウ", "formwork", None, None),
                ("松本 拓也", "マツモト タクヤ", "electric", "20000000000105", 4),
                ("井上 翼", "イノウエ ツバサ", "rebar", None, None),
            )
        ]
        crew = [w for w in demo.workers.values() if w.company_id != companies["plumbing"].id]
        crew += extra
        for worker in crew:
            if worker.card_level is None and worker.ccus_worker_id:
                worker.card_level = rng.choice((1, 1, 2, 2, 3, 4))
        first = today - timedelta(days=34)
        for offset in range(35):
            day = first + timedelta(days=offset)
            if day.weekday() == 6:
                continue
            for n, worker in enumerate(crew):
                if rng.random() < (0.55 if day.weekday() == 5 else 0.85):
                    arrive = datetime.combine(day, time(7, 20 + rng.randrange(35)), tzinfo=tz)
                    source = "nfc" if worker.ccus_worker_id and rng.random() < 0.3 else "phone"
                    if day < today and rng.random() < 0.15:
                        source = "roster"  # on the 出面 sheet only: a day that never counts
                    record_event(
                        session,
                        external_id=f"shot:{day}:{n}:in",
                        source=source,
                        site_id=site.id,
                        occurred_at=arrive,
                        tz=tz,
                        worker_id=worker.id,
                        direction="entry",
                    )
                    if day < today or n % 3 == 0:
                        leave = datetime.combine(day, time(17, rng.randrange(50)), tzinfo=tz)
                        if day == today:
                            leave = arrive + timedelta(hours=2, minutes=10 * n)
                        record_event(
                            session,
                            external_id=f"shot:{day}:{n}:out",
                            source=source,
                            site_id=site.id,
                            occurred_at=leave,
                            tz=tz,
                            worker_id=worker.id,
                            direction="exit",
                        )
        # a company that came by a call, not yet confirmed in the tree
        called = create_company(session, "東京内装工業株式会社", ccus_business_id="10000000000099")
        add_site_company(
            session,
            site.id,
            called.id,
            parent_company_id=companies["rebar"].id,
            tier=2,
            source="call",
            confirmed=False,
        )
        newcomer = create_worker(session, "森 勇気", called.id, name_kana="モリ ユウキ")
        morning = datetime.combine(today, time(7, 52), tzinfo=tz)
        record_event(
            session,
            external_id="shot:newcomer",
            source="phone",
            site_id=site.id,
            occurred_at=morning,
            tz=tz,
            worker_id=newcomer.id,
            direction="entry",
        )
        unknown = record_event(
            session,
            external_id="shot:unknown",
            source="phone",
            site_id=site.id,
            occurred_at=morning + timedelta(minutes=3),
            tz=tz,
            caller_e164="+819087654321",
        ).event
        raise_exception(
            session,
            kind="unknown_caller",
            dedupe_key="shot:unknown",
            site_id=site.id,
            event_id=unknown.id,
            work_date=today,
            detail={"caller_e164": "+819087654321"},
        )
        withheld = record_event(
            session,
            external_id="shot:withheld",
            source="phone",
            site_id=site.id,
            occurred_at=morning + timedelta(minutes=5),
            tz=tz,
        ).event
        raise_exception(
            session,
            kind="withheld_caller",
            dedupe_key="shot:withheld",
            site_id=site.id,
            event_id=withheld.id,
            work_date=today,
            detail={},
        )
        manual = record_event(
            session,
            external_id="shot:manual",
            source="manual",
            site_id=site.id,
            worker_id=extra[3].id,
            direction="entry",
            occurred_at=datetime.combine(today - timedelta(days=1), time(8, 0), tzinfo=tz),
            tz=tz,
            note="携帯電話を忘れた",
        ).event
        raise_exception(
            session,
            kind="manual_pending",
            dedupe_key=f"manual_pending:{manual.id}",
            site_id=site.id,
            worker_id=extra[3].id,
            event_id=manual.id,
            work_date=manual.work_date,
            detail={"note": "携帯電話を忘れた"},
        )
        session.add(
            Target(
                company_id=companies["prime"].id,
                fiscal_year=fiscal_year_of(today),
                target_count=1500,
                commitment_count=900,
            )
        )
        for email, role, site_id, company_id in (
            ("genba@example.jp", "site_admin", site.id, None),
            ("honsha@example.jp", "prime_admin", None, companies["prime"].id),
        ):
            session.add(
                AdminUser(
                    email=email,
                    password_hash=hash_secret(PASSWORD),
                    role=role,
                    site_id=site_id,
                    company_id=company_id,
                )
            )
        session.flush()
        for site_row in demo.sites.values():
            reconcile(session, site_row.id, first, today, rules=DayRules(600, 3600, 16 * 3600, 900))
        session.commit()
        ids = {"site": site.id, "prime": companies["prime"].id}
    engine.dispose()
    return ids


def shoot(url: str, out: Path, ids: dict[str, int], today: date) -> list[Path]:
    from playwright.sync_api import sync_playwright

    start = (today - timedelta(days=29)).isoformat()
    shots: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )

        def login(page: Any, email: str) -> None:
            page.goto(url + "/admin/login")
            page.fill('input[name="email"]', email)
            page.fill('input[name="password"]', PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            page.wait_for_load_state()

        desktop = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
        page = desktop.new_page()
        page.goto(url + "/admin/login")
        shots.append(_shot(page, out / "login.png", full=False))
        login(page, "genba@example.jp")
        site = ids["site"]
        for name, path in (
            ("board", f"/admin/sites/{site}/board"),
            ("exceptions", f"/admin/exceptions?site_id={site}"),
            ("structure", f"/admin/sites/{site}/structure"),
        ):
            page.goto(url + path)
            shots.append(_shot(page, out / f"{name}.png", full=True))
        page.goto(url + f"/admin/stats?prime_company_id={ids['prime']}&from={start}&to={today}")
        page.context.clear_cookies()
        login(page, "honsha@example.jp")
        page.goto(url + f"/admin/stats?prime_company_id={ids['prime']}&from={start}&to={today}")
        shots.append(_shot(page, out / "stats.png", full=True, until="#chart-levels"))
        desktop.close()

        phone = browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            device_scale_factor=2,
            locale="ja-JP",
        )
        page = phone.new_page()
        login(page, "genba@example.jp")
        page.goto(url + f"/admin/sites/{site}/board")
        shots.append(_shot(page, out / "board-phone.png", full=False))
        phone.close()
        browser.close()
    return shots


def _shot(page: Any, path: Path, full: bool, until: str | None = None) -> Path:
    """A screenshot; `until` cuts a long page below that element (PNGs stay < 300 KB)."""
    page.wait_for_load_state("networkidle")
    clip = None
    if until is not None:
        box = page.locator(until).bounding_box()
        width = page.viewport_size["width"]
        clip = {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 16}
    page.screenshot(path=str(path), full_page=full, clip=clip)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=18480)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="genba-shots-") as tmp:
        os.environ["GENBA_INSTANCE"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("TWILIO_AUTH_TOKEN", "screenshots")
        os.environ.setdefault("GENBA_SECRET_KEY", "screenshots")
        from werkzeug.serving import make_server

        from voice_app import create_app
        from workers_db.settings import Settings

        settings = Settings.from_env()
        ids = build(settings.database_url, settings.tz)
        app = create_app({"GENBA_SETTINGS": settings})
        server = make_server("127.0.0.1", args.port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            shots = shoot(
                f"http://127.0.0.1:{args.port}", args.out, ids, datetime.now(settings.tz).date()
            )
        finally:
            server.shutdown()
            thread.join(timeout=10)
    for path in shots:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
