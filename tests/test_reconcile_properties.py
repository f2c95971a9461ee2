"""Property tests: the set-based SQL reconciliation and the statistics agree with the plain
Python reference (tests/reference_domain.py) on random datasets — companies with and without
CCUS ids, sole proprietors, workers without CCUS ids, repeats, overnight shifts, forgotten
exits and exits later than the longest shift (12, 16, 25 or 48 h), site hops at and around the
hop window, manual entries approved or not, rosters, unknown cards, unsynced clocks.

On PostgreSQL (the main run) and once on SQLite (the embedded default)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from ivr_flows.days import DayRules
from jobs.reconcile import affected_dates, reconcile
from jobs.stats import DOMAIN_KEYS, compute_stats
from tests import reference_domain as ref
from tests.reconcile_support import (
    TOKYO,
    CompanySpec,
    Dataset,
    EventSpec,
    WorkerSpec,
    db_records,
    load,
    open_exception_keys,
    ref_records,
)
from workers_db.db import make_engine
from workers_db.migrate import upgrade
from workers_db.models import WorkRecord

WINDOW_S = 600
BASE = date(2025, 6, 2)
HOURS = (0, 1, 7, 8, 12, 17, 20, 23)
MINUTES = (0, 3, 10, 30, 59)


# Gaps between an event and a follow-up of the same worker (at the same site or another):
# repeats, the window's edge (exactly 600 s is not a repeat), the hop window's edge, day
# shifts, night shifts, and the edges of the longest shifts drawn and of the 48 h look-back.
SHIFTS_H = (12, 16, 25, 48)
GAPS_S = (
    4,
    599,
    600,
    899,
    900,
    3 * 3600,
    9 * 3600,
    *(h * 3600 + d for h in SHIFTS_H for d in (-60, 0, 60)),
    23 * 3600 + 30 * 60,
    49 * 3600,
)
rules_drawn = st.builds(
    DayRules,
    repeat_window_s=st.just(WINDOW_S),
    exit_confirm_s=st.sampled_from([0, 3600]),
    max_shift_s=st.sampled_from([h * 3600 for h in SHIFTS_H]),
    site_hop_s=st.sampled_from([0, 900]),
)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    companies = draw(
        st.lists(
            st.builds(CompanySpec, ccus=st.booleans(), sole=st.booleans()), min_size=1, max_size=4
        )
    )
    n_workers = draw(st.integers(1, 4))
    workers = [
        WorkerSpec(
            company=draw(st.integers(0, len(companies) - 1)),
            ccus=draw(st.booleans()),
            kentaikyo=draw(st.booleans()),
            card_level=draw(st.sampled_from([None, 1, 2, 3, 4])),
        )
        for _ in range(n_workers)
    ]
    sites = draw(st.integers(1, 2))
    source = st.sampled_from(["phone", "phone", "nfc", "nfc", "nfc", "manual", "roster"])
    direction = st.sampled_from([None, None, "entry", "exit"])
    events: list[EventSpec] = []
    for _ in range(draw(st.integers(1, 10))):
        first = EventSpec(
            worker=draw(st.one_of(st.integers(0, n_workers - 1), st.none())),
            site=draw(st.integers(0, sites - 1)),
            source=draw(source),
            at=datetime.combine(
                BASE + timedelta(days=draw(st.integers(0, 3))),
                time(draw(st.sampled_from(HOURS)), draw(st.sampled_from(MINUTES))),
                tzinfo=TOKYO,
            ),
            direction=draw(direction),
            approved=draw(st.booleans()),
            clock_synced=draw(st.sampled_from([True, True, True, False])),
            device=draw(st.sampled_from([None, "reader-1", "reader-2"])),
        )
        events.append(first)
        for _ in range(draw(st.integers(0, 2))):  # follow-ups: repeats, exits, next days
            events.append(
                EventSpec(
                    worker=first.worker,
                    site=draw(st.sampled_from([first.site, first.site, sites - 1])),
                    source=draw(source),
                    at=events[-1].at + timedelta(seconds=draw(st.sampled_from(GAPS_S))),
                    direction=draw(direction),
                    approved=draw(st.booleans()),
                    device=first.device,
                )
            )
    for e in events:  # only phone calls carry a direction (the IVR decides it)
        if e.source != "phone":
            e.direction = None
    return Dataset(companies, workers, sites, events)


def check_against_reference(
    session: Session, data: Dataset, shuffle_seed: int, rules: DayRules
) -> None:
    loaded = load(session, data)
    first, last = loaded.dates()
    for site_id in loaded.site_ids:
        reconcile(
            session,
            site_id,
            first - timedelta(days=2),
            last + timedelta(days=2),
            rules=rules,
        )
    records, exceptions = ref.reconcile(loaded.events, rules)
    want = ref_records(records, loaded.workers)
    assert db_records(session) == want
    assert open_exception_keys(session) == exceptions

    # Statistics, per site and for the prime, over the whole period.
    scopes = [{"site_id": s} for s in loaded.site_ids] + [{"prime_company_id": loaded.prime_id}]
    for scope in scopes:
        got = compute_stats(session, **scope, date_from=first, date_to=last, tz=TOKYO)  # type: ignore[arg-type]
        cut = [
            r
            for r in records.values()
            if first <= r.work_date <= last and r.site_id == scope.get("site_id", r.site_id)
        ]
        assert {k: got[k] for k in DOMAIN_KEYS} == ref.stats(cut, loaded.workers, loaded.companies)

    # The same records when days are reconciled one at a time, in any order, the way the
    # intake's jobs do it (each job rebuilds the dates its day can affect).
    session.execute(delete(WorkRecord))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    random.Random(shuffle_seed).shuffle(days)
    for day in days:
        for site_id in loaded.site_ids:
            lo, hi = affected_dates(day, day)
            reconcile(session, site_id, lo, hi, rules=rules)
    assert db_records(session) == want
    assert open_exception_keys(session) == exceptions


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets(), shuffle_seed=st.integers(0, 1000), rules=rules_drawn)
def test_postgresql_agrees_with_reference(
    db_session: Session, data: Dataset, shuffle_seed: int, rules: DayRules
) -> None:
    nested = db_session.begin_nested()
    try:
        check_against_reference(db_session, data, shuffle_seed, rules)
    finally:
        nested.rollback()


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("sqlite") / "genba.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.smoke
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets(), shuffle_seed=st.integers(0, 1000), rules=rules_drawn)
def test_sqlite_agrees_with_reference(
    sqlite_engine: Engine, data: Dataset, shuffle_seed: int, rules: DayRules
) -> None:
    with Session(sqlite_engine) as session:
        try:
            check_against_reference(session, data, shuffle_seed, rules)
        finally:
            session.rollback()
