"""The flow's `Lookup` over the database: Core selects returning plain values, one round trip
each (the zero-key check-in reads a site, a phone's workers, their history and the 施工体制)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from ivr_flows.model import PastEvent, SiteInfo, WorkerInfo
from workers_db.models import (
    AuthFailure,
    Event,
    Phone,
    PhoneCrewMember,
    Site,
    SiteCompany,
    Worker,
)
from workers_db.registration import hash_pin, verify_secret

_SITE_COLUMNS = (Site.id, Site.name, Site.site_code, Site.answer_mode, Site.prime_company_id)
_WORKER_COLUMNS = (Worker.id, Worker.name, Worker.name_kana, Worker.language, Worker.company_id)


@cache
def _dummy_pin_hash() -> str:
    """Verified against when the worker id is unknown, so that both answers take as long."""
    return hash_pin("00000000")


def _site(row: object) -> SiteInfo | None:
    return None if row is None else SiteInfo(*row)  # type: ignore[misc]


def _worker(row: Sequence[object]) -> WorkerInfo:
    return WorkerInfo(*row[:5])  # type: ignore[arg-type]


class DbLookup:
    def __init__(self, session: Session) -> None:
        self.session = session

    def site_by_number(self, e164: str) -> SiteInfo | None:
        return _site(
            self.session.execute(
                select(*_SITE_COLUMNS).where(Site.dial_in_number == e164, Site.active.is_(True))
            ).first()
        )

    def site_by_code(self, code: str) -> SiteInfo | None:
        return _site(
            self.session.execute(
                select(*_SITE_COLUMNS).where(Site.site_code == code, Site.active.is_(True))
            ).first()
        )

    def site(self, site_id: int) -> SiteInfo | None:
        return _site(
            self.session.execute(
                select(*_SITE_COLUMNS).where(Site.id == site_id, Site.active.is_(True))
            ).first()
        )

    def workers_by_phone(self, e164: str) -> list[WorkerInfo]:
        owner = (
            select(*_WORKER_COLUMNS, literal(0).label("rank"))
            .join(Phone, Phone.worker_id == Worker.id)
            .where(Phone.e164 == e164, Worker.active.is_(True))
        )
        crew = (
            select(*_WORKER_COLUMNS, literal(1).label("rank"))
            .join(PhoneCrewMember, PhoneCrewMember.worker_id == Worker.id)
            .join(Phone, Phone.id == PhoneCrewMember.phone_id)
            .where(Phone.e164 == e164, Worker.active.is_(True))
        )
        both = union_all(owner, crew).subquery()
        rows = self.session.execute(select(both).order_by(both.c.rank, both.c.id)).all()
        seen: set[int] = set()
        found = []
        for row in rows:
            if row[0] not in seen:
                seen.add(row[0])
                found.append(_worker(row))
        return found

    def workers(self, ids: Sequence[int]) -> list[WorkerInfo]:
        if not ids:
            return []
        rows = self.session.execute(
            select(*_WORKER_COLUMNS).where(Worker.id.in_(ids), Worker.active.is_(True))
        ).all()
        by_id = {row[0]: _worker(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def history(
        self, worker_ids: Sequence[int], site_id: int, since: datetime, until: datetime
    ) -> dict[int, list[PastEvent]]:
        rows = self.session.execute(
            select(Event.worker_id, Event.occurred_at, Event.direction, Event.source)
            .where(
                Event.worker_id.in_(worker_ids),
                Event.site_id == site_id,
                Event.source.in_(("phone", "nfc")),
                Event.occurred_at >= since,
                Event.occurred_at <= until,
            )
            .order_by(Event.occurred_at, Event.id)
        ).all()
        found: dict[int, list[PastEvent]] = {}
        for worker_id, occurred_at, direction, source in rows:
            if worker_id is not None:
                found.setdefault(worker_id, []).append(PastEvent(occurred_at, direction, source))
        return found

    def companies_missing(self, site_id: int, company_ids: Collection[int]) -> set[int]:
        present = self.session.scalars(
            select(SiteCompany.company_id).where(
                SiteCompany.site_id == site_id, SiteCompany.company_id.in_(company_ids)
            )
        ).all()
        return set(company_ids) - set(present)

    def placement(self, company_id: int, prime_company_id: int) -> tuple[int | None, int | None]:
        row = self.session.execute(
            select(SiteCompany.tier, SiteCompany.parent_company_id)
            .join(Site, Site.id == SiteCompany.site_id)
            .where(
                SiteCompany.company_id == company_id,
                Site.prime_company_id == prime_company_id,
                SiteCompany.tier.is_not(None),
            )
            .order_by(SiteCompany.confirmed.desc(), SiteCompany.id.desc())
            .limit(1)
        ).first()
        return (row[0], row[1]) if row else (None, None)

    def locked(self, keys: Sequence[str], now: datetime) -> bool:
        if not keys:
            return False
        until = self.session.scalars(
            select(AuthFailure.locked_until).where(AuthFailure.key.in_(keys))
        ).all()
        return any(moment is not None and moment > now for moment in until)

    def verify_pin(self, ccus_worker_id: str, pin: str) -> WorkerInfo | None:
        row = self.session.execute(
            select(*_WORKER_COLUMNS, Worker.pin_hash).where(
                Worker.ccus_worker_id == ccus_worker_id, Worker.active.is_(True)
            )
        ).first()
        if row is None or row[5] is None:
            verify_secret(_dummy_pin_hash(), pin)
            return None
        return _worker(row) if verify_secret(row[5], pin) else None
