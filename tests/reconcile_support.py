"""Datasets for the reconciliation and statistics tests: written to the database through the
models, and handed to the reference implementation as plain values."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr_flows.days import DayRules
from tests.reference_domain import RefCompany, RefEvent, RefRecord, RefWorker
from workers_db import settings
from workers_db.intake import work_date_of
from workers_db.models import (
    Company,
    Event,
    Site,
    SiteCompany,
    Worker,
    WorkException,
    WorkRecord,
)

TOKYO = ZoneInfo("Asia/Tokyo")
_ids = itertools.count(1)


def ccus_id() -> str:
    return f"{next(_ids) + 10**12:014d}"


@dataclass
class CompanySpec:
    ccus: bool = True
    sole: bool = False


@dataclass
class WorkerSpec:
    company: int
    ccus: bool = True
    kentaikyo: bool = False
    card_level: int | None = None


@dataclass
class EventSpec:
    worker: int | None
    site: int
    source: str
    at: datetime  # aware
    direction: str | None = None
    approved: bool = False
    clock_synced: bool = True
    device: str | None = None


@dataclass
class Dataset:
    companies: list[CompanySpec]
    workers: list[WorkerSpec]
    sites: int
    events: list[EventSpec]
    prime: int = 0  # index of the prime contractor among `companies`
    model_works: tuple[int, ...] = ()


@dataclass
class Loaded:
    company_ids: list[int]
    worker_ids: list[int]
    site_ids: list[int]
    events: list[RefEvent] = field(default_factory=list)
    workers: dict[int, RefWorker] = field(default_factory=dict)
    companies: dict[int, RefCompany] = field(default_factory=dict)

    @property
    def prime_id(self) -> int:
        return self.company_ids[0]

    def dates(self) -> tuple[date, date]:
        days = [e.work_date for e in self.events]
        return min(days), max(days)


def load(session: Session, data: Dataset, tz: ZoneInfo = TOKYO) -> Loaded:
    companies = [
        Company(
            name=f"会社{i}",
            ccus_business_id=ccus_id() if c.ccus else None,
            sole_proprietor=c.sole,
        )
        for i, c in enumerate(data.companies)
    ]
    session.add_all(companies)
    session.flush()
    workers = [
        Worker(
            name=f"作業員{i}",
            company_id=companies[w.company].id,
            ccus_worker_id=ccus_id() if w.ccus else None,
            kentaikyo=w.kentaikyo,
            card_level=w.card_level,
        )
        for i, w in enumerate(data.workers)
    ]
    sites = [
        Site(
            name=f"現場{i}",
            site_code=f"{next(_ids) % 10**8:08d}",
            prime_company_id=companies[data.prime].id,
            model_works=i in data.model_works,
        )
        for i in range(data.sites)
    ]
    session.add_all([*workers, *sites])
    session.flush()
    loaded = Loaded([c.id for c in companies], [w.id for w in workers], [s.id for s in sites])
    prime = companies[data.prime]
    session.add_all(  # the 施工体制: the prime on top, everyone else its first tier
        SiteCompany(
            site_id=site.id,
            company_id=c.id,
            parent_company_id=None if c is prime else prime.id,
            tier=0 if c is prime else 1,
        )
        for site in sites
        for c in companies
    )
    for spec, row in zip(data.companies, companies, strict=True):
        loaded.companies[row.id] = RefCompany(row.id, spec.ccus, spec.sole)
    for spec, row in zip(data.workers, workers, strict=True):
        loaded.workers[row.id] = RefWorker(
            row.id, row.company_id, spec.ccus, spec.kentaikyo, spec.card_level
        )
    loaded.events += add_events(session, loaded, data.events, tz)
    return loaded


def add_events(
    session: Session, loaded: Loaded, specs: list[EventSpec], tz: ZoneInfo = TOKYO
) -> list[RefEvent]:
    """Insert events for the loaded workers and sites (indices in the specs)."""
    rows = [
        Event(
            external_id=f"t-{next(_ids)}",
            source=e.source,
            site_id=loaded.site_ids[e.site],
            worker_id=None if e.worker is None else loaded.worker_ids[e.worker],
            occurred_at=e.at,
            work_date=work_date_of(e.at, tz),
            direction=e.direction,
            clock_synced=e.clock_synced,
            device=e.device,
            approved_at=e.at if e.approved else None,
            approved_by="test" if e.approved else None,
        )
        for e in specs
    ]
    session.add_all(rows)
    session.flush()
    return [
        RefEvent(
            row.id,
            row.source,
            row.site_id,
            row.worker_id,
            row.occurred_at.astimezone(UTC),
            row.work_date,
            row.direction,
            row.approved_at is not None,
            row.clock_synced,
            row.device,
        )
        for row in rows
    ]


def local(day: date, hh: int, mm: int = 0, tz: ZoneInfo = TOKYO) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz)


def db_records(session: Session, site_ids: list[int] | None = None) -> dict[tuple, tuple]:
    """Work records as comparable tuples, keyed by (worker, site, date)."""
    query = select(WorkRecord)
    if site_ids is not None:
        query = query.where(WorkRecord.site_id.in_(site_ids))
    session.expire_all()
    return {
        (r.worker_id, r.site_id, r.work_date): (
            r.first_in,
            r.last_out,
            r.sources,
            r.countable,
            r.event_count,
        )
        for r in session.scalars(query)
    }


def ref_records(
    records: dict[tuple[int, int, date], RefRecord], workers: dict[int, RefWorker]
) -> dict[tuple, tuple]:
    return {
        key: (
            r.first_in,
            r.last_out,
            ",".join(sorted(r.sources)),
            r.countable(workers[r.worker_id]),
            r.event_count,
        )
        for key, r in records.items()
    }


RECONCILE_KINDS = ("no_exit", "overlapping_sites", "clock_unsynced", "manual_pending")


def open_exception_keys(session: Session) -> set[str]:
    return set(
        session.scalars(
            select(WorkException.dedupe_key).where(
                WorkException.status == "open", WorkException.kind.in_(RECONCILE_KINDS)
            )
        )
    )


def seeded_month(seed: int, first: date, days: int, sites: int = 3, workers: int = 30) -> Dataset:
    """A plausible month: several companies (one sole proprietor, one unregistered), workers
    with and without CCUS ids, phone and card check-ins with repeats, forgotten exits,
    a few night shifts, manual entries (approved or not) and roster lines."""
    rng = random.Random(seed)
    companies = [CompanySpec(True, False), CompanySpec(True, False), CompanySpec(False, False)]
    companies += [CompanySpec(rng.random() < 0.5, True) for _ in range(3)]
    worker_specs = [
        WorkerSpec(
            company=rng.randrange(len(companies)),
            ccus=rng.random() < 0.75,
            kentaikyo=rng.random() < 0.5,
            card_level=rng.choice([None, 1, 1, 2, 3, 4]),
        )
        for _ in range(workers)
    ]
    events: list[EventSpec] = []
    for d in range(days):
        day = first + timedelta(days=d)
        if day.weekday() == 6:
            continue
        for w in range(workers):
            if rng.random() < 0.3:
                continue
            site = rng.randrange(sites)
            kind = rng.random()
            if kind < 0.05:
                events.append(EventSpec(w, site, "roster", local(day, 12)))
                continue
            if kind < 0.09:
                events.append(
                    EventSpec(w, site, "manual", local(day, 12), approved=rng.random() < 0.5)
                )
                continue
            night = rng.random() < 0.05
            start = local(day, 20 if night else 7, rng.randrange(60))
            end = start + timedelta(hours=9, minutes=rng.randrange(90))
            if rng.random() < 0.5:
                events.append(EventSpec(w, site, "phone", start, "entry"))
                if rng.random() < 0.1:
                    events.append(EventSpec(w, site, "phone", start + timedelta(minutes=3)))
                if rng.random() < 0.8:
                    events.append(EventSpec(w, site, "phone", end, "exit"))
            else:
                device = f"reader-{site}"
                synced = rng.random() > 0.02
                events.append(EventSpec(w, site, "nfc", start, device=device, clock_synced=synced))
                if rng.random() < 0.2:  # a double read
                    events.append(
                        EventSpec(w, site, "nfc", start + timedelta(seconds=4), device=device)
                    )
                if rng.random() < 0.6:
                    events.append(EventSpec(w, site, "nfc", end, device=device))
    return Dataset(companies, worker_specs, sites, events, model_works=(0,))


# The day rules at their documented defaults (GENBA_REPEAT_WINDOW_S, GENBA_EXIT_CONFIRM_S,
# GENBA_MAX_SHIFT_H, GENBA_SITE_HOP_S).
RULES = DayRules(
    settings.DEFAULT_REPEAT_WINDOW_S,
    settings.DEFAULT_EXIT_CONFIRM_S,
    settings.DEFAULT_MAX_SHIFT_H * 3600,
    settings.DEFAULT_SITE_HOP_S,
)
