"""The caller look-up of the IVR: the flow's `Lookup` (ivr_flows.lookup) over the database.

One decision per worker at a time (`workers_db.decisions`): before the history a decision is
made from is read, the workers it is about are locked for the rest of the transaction
(`lock_workers`, `LOCK_BY_PHONE`; SQLite serialises writers anyway), or, for the zero-key
look-up of a `checked` DbLookup, the read is remembered (`DbLookup.basis`) for the write to
check under the lock.  Either way concurrent webhooks of one worker with different CallSids
decide one after the other, each seeing what the previous recorded.

The statements are built once, at import, on the tables' Core columns with bind parameters:
a webhook then only binds values and runs SQL that SQLAlchemy has compiled and PostgreSQL has
prepared, about a third of the cost of building ORM selects per request (bench/ivr_bench.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, literal, literal_column, select, true, union_all
from sqlalchemy.orm import Session

from ivr_flows.decide import history_since
from ivr_flows.model import MonthFigures, PastEvent, SiteInfo, WorkerInfo
from workers_db import lockout
from workers_db.db import autocommitted, run_on_driver
from workers_db.decisions import WORKER_LOCK, DecisionBasis, deciding_events, lock_workers
from workers_db.locked_read import LockedRead
from workers_db.models import (
    Event,
    Phone,
    PhoneCrewMember,
    Site,
    SiteCompany,
    Worker,
)
from workers_db.registration import hash_pin, verify_secret
from workers_db.worker_month import month_figures

_sites, _workers, _phones = Site.__table__, Worker.__table__, Phone.__table__
_crew, _edges, _events = PhoneCrewMember.__table__, SiteCompany.__table__, Event.__table__

_SITE = select(
    _sites.c.id, _sites.c.name, _sites.c.site_code, _sites.c.answer_mode,
    _sites.c.prime_company_id,
).where(_sites.c.active.is_(True))  # fmt: skip
SITE_BY_NUMBER = _SITE.where(_sites.c.dial_in_number == bindparam("number"))
SITE_BY_CODE = _SITE.where(_sites.c.site_code == bindparam("code"))
SITE_BY_ID = _SITE.where(_sites.c.id == bindparam("site_id"))

_WORKER = (
    _workers.c.id, _workers.c.name, _workers.c.name_kana, _workers.c.language,
    _workers.c.company_id,
)  # fmt: skip
_owner = (
    select(*_WORKER, literal(0).label("rank"))
    .join(_phones, _phones.c.worker_id == _workers.c.id)
    .where(_phones.c.e164 == bindparam("e164"), _workers.c.active.is_(True))
)
_members = (
    select(*_WORKER, literal(1).label("rank"))
    .join(_crew, _crew.c.worker_id == _workers.c.id)
    .join(_phones, _phones.c.id == _crew.c.phone_id)
    .where(_phones.c.e164 == bindparam("e164"), _workers.c.active.is_(True))
)
WORKERS_BY_PHONE = union_all(_owner, _members)  # a handful of rows: ordered in Python
_callers = WORKERS_BY_PHONE.subquery()


def _callers_at(site_id: Any, *, lateral: bool) -> Any:
    """The same workers with, at one site, whether their company is in its structure and
    their recent events (one row per event, or one row with NULLs).

    `lateral` (PostgreSQL): each worker's events of the window, at any site, are read in a
    LATERAL subquery fenced with `OFFSET 0` (PostgreSQL neither flattens it into the join nor
    pushes a condition into it), and only then kept for this site, outside the fence.  The
    scan inside has nothing but the worker and the window to go by, so the one index it can
    take is `ix_events_worker_time`: a few rows a worker, whatever the statistics say.  With
    the site's condition inside, the planner could also read all the site's events through
    `ix_events_site_date` and filter them by worker, and it did so on some connections (a
    plan chosen while `events` had no statistics): in a 6,000-request run of
    bench/ivr_bench.py, one look-up in five read 3,300 events (docs/ivr.md)."""
    recent = and_(_events.c.worker_id == _callers.c.id, deciding_events())
    history: Any = _events
    joined = _callers.outerjoin(_events, and_(recent, _events.c.site_id == site_id))
    if lateral:
        history = (
            select(_events.c.occurred_at, _events.c.direction, _events.c.source)
            .add_columns(_events.c.site_id, _events.c.id)
            .where(recent)
            .correlate_except(_events)  # the caller's row
            .offset(literal_column("0"))  # the fence (see above)
            .lateral("history")
        )
        joined = _callers.outerjoin(history, history.c.site_id == site_id)
    return select(
        _callers,
        select(_edges.c.id)
        .where(_edges.c.site_id == site_id, _edges.c.company_id == _callers.c.company_id)
        .correlate_except(_edges)  # the caller's row and, in the lateral form, the site's
        .exists()
        .label("in_structure"),
        history.c.occurred_at, history.c.direction, history.c.source,
        history.c.id.label("event_id"),
    ).select_from(joined)  # fmt: skip


# SQLite (no LATERAL) and PostgreSQL.
CALLERS_AT_SITE = _callers_at(bindparam("site_id"), lateral=False)
CALLERS_AT_SITE_PG = _callers_at(bindparam("site_id"), lateral=True)
# The zero-key call in one statement: the dialed site and, at it, the caller's workers (none:
# one row with NULLs after the site's columns).
_at_dialed = _callers_at(_sites.c.id, lateral=True).lateral("at_site")
SITE_AND_CALLERS = (
    select(*SITE_BY_NUMBER.selected_columns, _at_dialed)
    .select_from(_sites.outerjoin(_at_dialed, true()))
    .where(_sites.c.dial_in_number == bindparam("number"), _sites.c.active.is_(True))
)
WORKERS_BY_ID = select(*_WORKER).where(
    _workers.c.id.in_(bindparam("ids", expanding=True)), _workers.c.active.is_(True)
)
HISTORY = (
    select(_events.c.worker_id, _events.c.occurred_at, _events.c.direction, _events.c.source)
    .where(
        _events.c.worker_id.in_(bindparam("ids", expanding=True)),
        _events.c.site_id == bindparam("site_id"),
        deciding_events(),
    )
    .order_by(_events.c.occurred_at, _events.c.id)
)
IN_STRUCTURE = select(_edges.c.company_id).where(
    _edges.c.site_id == bindparam("site_id"),
    _edges.c.company_id.in_(bindparam("companies", expanding=True)),
)
PLACEMENT = (
    select(_edges.c.tier, _edges.c.parent_company_id)
    .join(_sites, _sites.c.id == _edges.c.site_id)
    .where(
        _edges.c.company_id == bindparam("company_id"),
        _sites.c.prime_company_id == bindparam("prime_id"),
        _edges.c.tier.is_not(None),
    )
    .order_by(_edges.c.confirmed.desc(), _edges.c.id.desc())
    .limit(1)
)
_phone_workers = union_all(
    select(_phones.c.worker_id.label("id")).where(
        _phones.c.e164 == bindparam("e164"), _phones.c.worker_id.is_not(None)
    ),
    select(_crew.c.worker_id)
    .join(_phones, _phones.c.id == _crew.c.phone_id)
    .where(_phones.c.e164 == bindparam("e164")),
).subquery()
# Two webhooks of one worker read their clocks on arrival and then queue on the worker's lock,
# so the one decided second may carry the earlier time: its history reads that far past its
# own clock (a webhook's whole budget), or it would miss the entry just recorded before it.
CONCURRENT_SKEW = timedelta(seconds=15)
_in_order = select(_phone_workers.c.id).distinct().order_by(_phone_workers.c.id).subquery()
# Every worker who checks in from the number, locked in id order (no two webhooks wait on
# each other), before the look-up that reads their history.
LOCK_BY_PHONE = select(func.pg_advisory_xact_lock(literal(WORKER_LOCK), _in_order.c.id))
# The same two on psycopg directly, as one statement, for the zero-key call
# (DbLookup._site_and_callers) when it is decided locked; its `read` alone when checked.
_LOCKED_SITE_AND_CALLERS = LockedRead("site_and_callers", LOCK_BY_PHONE, SITE_AND_CALLERS)
PIN_OF = select(*_WORKER, _workers.c.pin_hash).where(
    _workers.c.ccus_worker_id == bindparam("ccus"), _workers.c.active.is_(True)
)


@cache
def _dummy_pin_hash() -> str:
    """Verified against when the worker id is unknown, so that both answers take as long."""
    return hash_pin("00000000")


_SITE_COLUMNS = len(SITE_BY_NUMBER.selected_columns)


def _site(row: Any) -> SiteInfo | None:
    return None if row is None else SiteInfo(*row)


def _past(at: datetime, direction: str | None, source: str, until: datetime) -> PastEvent:
    """An event of the history (in UTC, as the ORM gives it; psycopg's rows carry the
    session's time zone); one a concurrent decision recorded at a clock reading a moment
    after `until` (it held the worker's lock first) counts as at `until`."""
    return PastEvent(min(at.astimezone(UTC), until), direction, source)


def _worker(row: Sequence[Any]) -> WorkerInfo:
    return WorkerInfo(*row[:5])


@dataclass
class _AtSite:
    site_id: int
    workers: set[int]
    companies: set[int]
    history: dict[int, list[PastEvent]]
    in_structure: set[int]  # companies with an edge at the site


class DbLookup:
    """With `now` and `tz`, the first site found by number is remembered, and the caller's
    workers are then read together with their history and 施工体制 at that site (the window
    the flow asks for): `history` and `companies_missing` are answered from that read."""

    def __init__(
        self,
        session: Session,
        now: datetime | None = None,
        tz: ZoneInfo | None = None,
        caller: str | None = None,
        *,
        commit: Callable[[], None] | None = None,
        checked: bool = False,
    ) -> None:
        """`checked`: the zero-key look-up may be read without the decision lock, on
        PostgreSQL, when the session's transaction has sent nothing yet
        (`workers_db.decisions`); what it read is then `basis`, for the write to check."""
        self.session = session
        self.checked = checked
        self.basis: DecisionBasis | None = None
        self.window = (history_since(now, tz), now) if now is not None and tz else None
        # Known in advance, the caller is read with the site by number, in one query (a
        # LATERAL join: PostgreSQL; SQLite, the demo's default, asks twice).
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.caller = caller if self.postgresql else None
        self.site_seen: int | None = None
        self.prefetched: _AtSite | None = None
        self.callers: list[WorkerInfo] | None = None  # the caller's workers, when prefetched
        self.locked_phones: set[str] = set()  # whose workers hold the decision lock
        self.locked_ids: set[int] = set()
        # The entry point's commit: a PIN try is committed before the PIN is evaluated.
        self.commit = commit

    def _rows(self, statement: Any, **params: Any) -> Sequence[Any]:
        return self.session.execute(statement, params).all()

    def _lock_phone(self, e164: str) -> None:
        if self.postgresql and e164 not in self.locked_phones:
            self.session.execute(LOCK_BY_PHONE, {"e164": e164})
            self.locked_phones.add(e164)

    def _lock(self, worker_ids: Iterable[int]) -> None:
        missing = set(worker_ids) - self.locked_ids
        lock_workers(self.session, missing)
        self.locked_ids |= missing

    def site_by_number(self, e164: str) -> SiteInfo | None:
        if self.caller and self.window is not None and self.site_seen is None:
            return self._site_and_callers(e164, self.caller, *self.window)
        site = _site(self.session.execute(SITE_BY_NUMBER, {"number": e164}).first())
        if site is not None and self.site_seen is None:
            self.site_seen = site.id
        return site

    def _site_and_callers(
        self, number: str, caller: str, since: datetime, until: datetime
    ) -> SiteInfo | None:
        """The zero-key call's look-up (PostgreSQL): the dialed site with the caller's
        workers, their history and 施工体制 there, in one statement.  Checked (see
        `workers_db.decisions`): a transaction of its own, without the lock, remembered as
        `basis`.  Locked: the caller's decision lock first (`workers_db.locked_read`)."""
        upto = until + CONCURRENT_SKEW
        read = {"number": number, "e164": caller, "since": since, "until": upto}
        rows = self._read_unlocked(read) if self.checked else None
        locked = rows is None
        if rows is None:
            held = caller in self.locked_phones
            rows = _LOCKED_SITE_AND_CALLERS.run(self.session, read, locked=held)
            self.locked_phones.add(caller)
        if not rows:
            return None
        site = _site(rows[0][:_SITE_COLUMNS])
        assert site is not None
        self.site_seen = site.id
        callers = [row[_SITE_COLUMNS:] for row in rows if row[_SITE_COLUMNS] is not None]
        self.callers = self._absorb(callers, site.id, until, locked=locked)
        if not locked:
            workers = tuple(sorted(w.id for w in self.callers))
            seen = tuple(sorted(row[10] for row in callers if row[10] is not None))
            self.basis = DecisionBasis(site.id, workers, since, upto, seen)
        return site

    def _read_unlocked(self, read: dict[str, Any]) -> Sequence[Any] | None:
        """The zero-key look-up as a transaction of its own; None when a transaction is
        under way (the look-up is then locked, as any other)."""
        with autocommitted(self.session) as alone:
            if alone:
                [rows] = run_on_driver(self.session, (_LOCKED_SITE_AND_CALLERS.read, read))
                return rows
        return None

    def site_by_code(self, code: str) -> SiteInfo | None:
        return _site(self.session.execute(SITE_BY_CODE, {"code": code}).first())

    def site(self, site_id: int) -> SiteInfo | None:
        return _site(self.session.execute(SITE_BY_ID, {"site_id": site_id}).first())

    def workers_by_phone(self, e164: str) -> list[WorkerInfo]:
        if self.callers is not None and e164 == self.caller:
            return list(self.callers)
        if self.site_seen is not None and self.window is not None and self.prefetched is None:
            return self._callers_at_site(e164, self.site_seen, *self.window)
        seen: set[int] = set()
        found = []
        rows = sorted(self._rows(WORKERS_BY_PHONE, e164=e164), key=lambda r: (r[5], r[0]))
        for row in rows:
            if row[0] not in seen:  # an owner listed as crew of their own phone: once
                seen.add(row[0])
                found.append(_worker(row))
        return found

    def _callers_at_site(
        self, e164: str, site_id: int, since: datetime, until: datetime
    ) -> list[WorkerInfo]:
        self._lock_phone(e164)
        statement = CALLERS_AT_SITE_PG if self.postgresql else CALLERS_AT_SITE
        rows = self._rows(
            statement, e164=e164, site_id=site_id, since=since, until=until + CONCURRENT_SKEW
        )
        return self._absorb(rows, site_id, until, locked=True)

    def _absorb(
        self, rows: Sequence[Any], site_id: int, until: datetime, *, locked: bool
    ) -> list[WorkerInfo]:
        """The caller's workers from `_callers_at` rows; their history and structure kept
        (`locked`: the workers' decision lock was taken, by phone, before the read)."""
        workers: dict[int, WorkerInfo] = {}
        history: dict[int, list[PastEvent]] = {}
        in_structure: set[int] = set()
        rank: dict[int, int] = {}
        for row in sorted(rows, key=lambda r: (r[5], r[0], r[7] or until)):
            if rank.setdefault(row[0], row[5]) != row[5]:
                continue  # an owner also listed as crew of their own phone: once
            workers.setdefault(row[0], _worker(row))
            if row[6]:
                in_structure.add(row[4])
            if row[7] is not None:
                history.setdefault(row[0], []).append(_past(row[7], row[8], row[9], until))
        companies = {w.company_id for w in workers.values()}
        if locked:
            self.locked_ids |= set(workers)
        self.prefetched = _AtSite(site_id, set(workers), companies, history, in_structure)
        return list(workers.values())

    def workers(self, ids: Sequence[int]) -> list[WorkerInfo]:
        if not ids:
            return []
        by_id = {row[0]: _worker(row) for row in self._rows(WORKERS_BY_ID, ids=list(ids))}
        return [by_id[i] for i in ids if i in by_id]

    def history(
        self, worker_ids: Sequence[int], site_id: int, since: datetime, until: datetime
    ) -> dict[int, list[PastEvent]]:
        known = self.prefetched
        if (
            known
            and known.site_id == site_id
            and (since, until) == self.window
            and set(worker_ids) <= known.workers
        ):
            return {w: list(known.history.get(w, [])) for w in worker_ids}
        found: dict[int, list[PastEvent]] = {}
        self._lock(worker_ids)
        rows = self._rows(
            HISTORY,
            ids=list(worker_ids),
            site_id=site_id,
            since=since,
            until=until + CONCURRENT_SKEW,
        )
        for worker_id, occurred_at, direction, source in rows:
            found.setdefault(worker_id, []).append(_past(occurred_at, direction, source, until))
        return found

    def companies_missing(self, site_id: int, company_ids: Collection[int]) -> set[int]:
        known = self.prefetched
        if known and known.site_id == site_id and set(company_ids) <= known.companies:
            return set(company_ids) - known.in_structure
        rows = self._rows(IN_STRUCTURE, site_id=site_id, companies=list(company_ids))
        return set(company_ids) - {row[0] for row in rows}

    def placement(self, company_id: int, prime_company_id: int) -> tuple[int | None, int | None]:
        row = self.session.execute(
            PLACEMENT, {"company_id": company_id, "prime_id": prime_company_id}
        ).first()
        return (row[0], row[1]) if row else (None, None)

    def locked(self, keys: Sequence[str], now: datetime) -> bool:
        return lockout.locked(self.session, keys, now) is not None

    def count_pin_try(self, keys: Sequence[str], now: datetime) -> bool:
        """Count the try (`workers_db.lockout`) and have the entry point commit it before
        the PIN is evaluated."""
        if self.commit is None:
            raise RuntimeError("counting a PIN try needs the entry point's commit")
        verdict = lockout.count_try(self.session, [(key, lockout.PIN) for key in keys], now)
        self.commit()
        # A new transaction: what was locked or read under the old one is not held any more.
        self.locked_phones, self.locked_ids, self.prefetched = set(), set(), None
        self.basis = None
        return verdict.allowed

    def verify_pin(self, ccus_worker_id: str, pin: str) -> WorkerInfo | None:
        row = self.session.execute(PIN_OF, {"ccus": ccus_worker_id}).first()
        if row is None or row[5] is None:
            verify_secret(_dummy_pin_hash(), pin)
            return None
        return _worker(row) if verify_secret(row[5], pin) else None

    def month(self, worker_id: int, first: date, last: date) -> MonthFigures:
        found = month_figures(self.session, [worker_id], first, last)
        return found.get(worker_id) or MonthFigures(False, 0, 0, None, None, None)
