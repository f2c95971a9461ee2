"""Demo data for `genba-call demo` (and anyone who wants a small, realistic world).

A prime contractor with a subcontractor tree, three sites (one answering with `<Reject/>`,
one reached only through the shared number), workers with phones: a foreman's crew phone, an
English and a Vietnamese speaker, a worker whose company is not yet in a site's 施工体制, a
worker without a phone who identifies with CCUS id and PIN, and one whose entry this morning
is already recorded (so that the next call is the exit).

`seed(session, tz)` is idempotent: every row is found by its natural key (CCUS id, site code,
phone number) before it is created.  It flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workers_db.audit import system_actor
from workers_db.directory import (
    company_by_name,
    site_by_code,
    worker_by_ccus_id,
    worker_by_name,
    worker_by_phone,
)
from workers_db.intake import record_event
from workers_db.models import Company, Site, Worker
from workers_db.registration import (
    add_crew_member,
    create_company,
    create_site,
    create_worker,
)
from workers_db.structure import add_site_company

SITE_A = ("1001", "日本橋一丁目ビル新築工事", "+81355501001", "confirm")
SITE_B = ("1002", "江東区倉庫改修工事", "+81355501002", "reject")
SITE_C = ("1003", "世田谷区住宅新築工事", None, "confirm")
SHARED_NUMBER = "+81355500000"  # no site's number: callers key the site code
UNKNOWN_CALLER = "+819099990000"  # registered nowhere

# (name, kana, ccus_business_id, sole proprietor)
COMPANIES = {
    "prime": ("日本橋建設株式会社", "ニホンバシケンセツ", "10000000000001", False),
    "rebar": ("山田鉄筋工業株式会社", "ヤマダテッキンコウギョウ", "10000000000002", False),
    "formwork": ("鈴木型枠工業", "スズキカタワクコウギョウ", None, False),
    "electric": ("佐藤電気", "サトウデンキ", None, True),
    "plumbing": ("高橋設備工業株式会社", "タカハシセツビコウギョウ", "10000000000004", False),
}
# site → [(company, parent, tier)]; plumbing is at site B only, so its first call at site A
# adds it to A's structure unconfirmed (tier and parent taken from B).
STRUCTURE = {
    "1001": [("rebar", "prime", 1), ("formwork", "rebar", 2), ("electric", "rebar", 2)],
    "1002": [("rebar", "prime", 1), ("plumbing", "prime", 1)],
    "1003": [("rebar", "prime", 1)],
}

DEMO_ACTOR = system_actor("demo")  # who made the demo data, in the audit trail


class DemoWorker(NamedTuple):
    name: str
    kana: str
    company: str
    ccus: str | None
    phone: str | None
    language: str = "ja"
    pin: str | None = None


WORKERS = {
    "tanaka": DemoWorker(
        "田中 一郎", "タナカ イチロウ", "rebar", "20000000000001", "+819010000001", pin="1234"
    ),
    "sasaki": DemoWorker("佐々木 健", "ササキ ケン", "formwork", "20000000000002", "+819010000002"),
    "ito": DemoWorker("伊藤 翔", "イトウ ショウ", "formwork", None, None),
    "watanabe": DemoWorker("渡辺 大輔", "ワタナベ ダイスケ", "formwork", "20000000000004", None),
    "smith": DemoWorker(
        "John Smith", "ジョン スミス", "rebar", "20000000000005", "+819010000003", "en"
    ),
    "nguyen": DemoWorker(
        "Nguyễn Văn An", "グエン ヴァン アン", "formwork", "20000000000006", "+819010000004", "vi"
    ),
    "kimura": DemoWorker("木村 誠", "キムラ マコト", "rebar", "20000000000007", "+819010000005"),
    "takahashi": DemoWorker("高橋 勇", "タカハシ イサム", "plumbing", None, "+819010000006"),
    "nakamura": DemoWorker(
        "中村 さくら", "ナカムラ サクラ", "electric", "20000000000009", None, pin="4321"
    ),
}
CREW = {"sasaki": ["ito", "watanabe"]}  # the foreman's phone checks in his crew too
MORNING_ENTRY = "kimura"  # entered this morning already: his next call is the exit


@dataclass(frozen=True)
class DemoData:
    sites: dict[str, Site]
    companies: dict[str, Company]
    workers: dict[str, Worker]

    def phone(self, key: str) -> str:
        number = WORKERS[key].phone
        assert number is not None
        return number


def seed(session: Session, tz: ZoneInfo, now: datetime | None = None) -> DemoData:
    companies = {key: _company(session, *spec) for key, spec in COMPANIES.items()}
    prime = companies["prime"]
    sites = {
        code: _site(session, code, name, number, mode, prime.id)
        for code, name, number, mode in (SITE_A, SITE_B, SITE_C)
    }
    for code, edges in STRUCTURE.items():
        for company, parent, tier in edges:
            add_site_company(
                session,
                sites[code].id,
                companies[company].id,
                parent_company_id=companies[parent].id,
                tier=tier,
                source="admin",
            )
    workers = {key: _worker(session, companies, *spec) for key, spec in WORKERS.items()}
    for owner, members in CREW.items():
        for member in members:
            add_crew_member(session, WORKERS[owner].phone or "", workers[member].id)
    moment = (now or datetime.now(UTC)) - timedelta(hours=3)
    record_event(
        session,
        external_id=f"demo:entry:{workers[MORNING_ENTRY].id}:{moment.astimezone(tz).date()}",
        source="phone",
        site_id=sites["1001"].id,
        worker_id=workers[MORNING_ENTRY].id,
        direction="entry",
        occurred_at=moment,
        tz=tz,
        caller_e164=WORKERS[MORNING_ENTRY].phone,
        note="demo seed",
    )
    session.flush()
    return DemoData(sites, companies, workers)


def _company(session: Session, name: str, kana: str, ccus: str | None, sole: bool) -> Company:
    found = company_by_name(session, name)
    return found or create_company(
        session, name, ccus, sole_proprietor=sole, name_kana=kana, actor=DEMO_ACTOR
    )


def _site(
    session: Session, code: str, name: str, number: str | None, mode: str, prime_id: int
) -> Site:
    found = site_by_code(session, code)
    if found is not None:
        return found
    return create_site(
        session, name, code, prime_id, dial_in_number=number, answer_mode=mode, actor=DEMO_ACTOR
    )


def _worker(
    session: Session,
    companies: dict[str, Company],
    name: str,
    kana: str,
    company: str,
    ccus: str | None,
    phone: str | None,
    language: str,
    pin: str | None,
) -> Worker:
    if phone:
        found = worker_by_phone(session, phone)
    elif ccus:
        found = worker_by_ccus_id(session, ccus)
    else:
        found = worker_by_name(session, companies[company].id, name)
    if found is not None:
        return found
    return create_worker(
        session,
        name,
        companies[company].id,
        name_kana=kana,
        ccus_worker_id=ccus,
        phones=[phone] if phone else [],
        language=language,
        pin=pin,
        kentaikyo=ccus is not None,
        actor=DEMO_ACTOR,
    )
