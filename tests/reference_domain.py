"""The definitions of docs/figures.md as a small plain-Python program (the reference).

Written from the rules in docs/reconciliation.md, one event at a time, with no SQL in mind:
the property tests check that the set-based SQL of jobs.reconcile and the aggregates of
jobs.stats agree with it on random data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ivr_flows.days import DayRules

NO_EXIT_LOOKBACK = timedelta(hours=48)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KENTAIKYO_YEN = 320


@dataclass(frozen=True)
class RefCompany:
    id: int
    ccus: bool
    sole: bool


@dataclass(frozen=True)
class RefWorker:
    id: int
    company_id: int
    ccus: bool
    kentaikyo: bool = False
    card_level: int | None = None


@dataclass(frozen=True)
class RefEvent:
    id: int
    source: str
    site_id: int
    worker_id: int | None
    occurred_at: datetime
    work_date: date
    direction: str | None = None
    approved: bool = False
    clock_synced: bool = True
    device: str | None = None

    @property
    def ms(self) -> int:
        return (self.occurred_at - EPOCH) // timedelta(milliseconds=1)


@dataclass
class RefRecord:
    worker_id: int
    site_id: int
    work_date: date
    first_in: datetime | None = None
    last_out: datetime | None = None
    sources: set[str] = field(default_factory=set)
    approved_manual: bool = False
    event_count: int = 0

    def countable(self, worker: RefWorker) -> bool:
        return worker.ccus and bool(self.sources & {"nfc", "phone"} or self.approved_manual)


@dataclass
class RefResult:
    records: dict[tuple[int, int, date], RefRecord]
    exceptions: set[str]  # dedupe keys of the exceptions reconciliation keeps open


def reconcile(
    events: list[RefEvent], rules: DayRules, now: datetime | None = None
) -> tuple[dict[tuple[int, int, date], RefRecord], set[str]]:
    """Records and open exception keys; `now` (default: after every event) is when
    reconciliation runs: an entry with nothing after it expires against it."""
    records: dict[tuple[int, int, date], RefRecord] = {}
    exceptions: set[str] = set()
    max_shift_ms = rules.max_shift_s * 1000
    now_ms = (
        (now - EPOCH) // timedelta(milliseconds=1)
        if now is not None
        else max((e.ms for e in events), default=0) + max_shift_ms + 1
    )

    def add(e: RefEvent, day: date, role: str) -> None:
        assert e.worker_id is not None
        rec = records.setdefault(
            (e.worker_id, e.site_id, day), RefRecord(e.worker_id, e.site_id, day)
        )
        rec.sources.add(e.source)
        rec.event_count += 1
        if e.source == "manual" and e.approved:
            rec.approved_manual = True
        if role == "entry" and (rec.first_in is None or e.occurred_at < rec.first_in):
            rec.first_in = e.occurred_at
        if role == "exit" and (rec.last_out is None or e.occurred_at > rec.last_out):
            rec.last_out = e.occurred_at

    timeline: dict[tuple[int, int], list[RefEvent]] = defaultdict(list)
    presence: dict[int, list[RefEvent]] = defaultdict(list)
    for e in events:
        if not e.clock_synced:  # about the reader, whoever's card it read
            exceptions.add(f"clock_unsynced:{e.site_id}:{e.device or '-'}:{e.work_date}")
        if e.worker_id is None:
            continue  # unknown caller / card: not anyone's day
        if e.source in ("phone", "nfc"):
            timeline[(e.worker_id, e.site_id)].append(e)
            presence[e.worker_id].append(e)
        else:  # manual and roster: a day, never paired or repeated; a direction gives a time
            add(e, e.work_date, e.direction if e.source == "manual" and e.direction else "day")
            if e.source == "manual" and not e.approved:
                exceptions.add(f"manual_pending:{e.id}")

    for stream in timeline.values():
        stream.sort(key=lambda e: (e.ms, e.id))
        previous: RefEvent | None = None
        latest_entry: RefEvent | None = None
        open_entry: RefEvent | None = None  # an entry whose next non-repeat event is awaited
        started_days: set[date] = set()
        head_day: date | None = None  # the date the latest non-repeat event went to
        for e in stream:
            repeat = previous is not None and e.ms - previous.ms < rules.repeat_window_s * 1000
            previous = e
            if repeat:
                if head_day is not None:
                    add(e, head_day, "repeat")
                continue
            if open_entry is not None and e.ms - open_entry.ms > max_shift_ms:
                exceptions.add(f"no_exit:{open_entry.id}")  # left open past the longest shift
            open_entry = None
            expired = latest_entry is not None and e.ms - latest_entry.ms > max_shift_ms
            if e.direction is not None:
                role = e.direction
            elif e.work_date not in started_days or expired:
                role = "entry"
            else:
                role = "exit"
            if role == "entry":
                started_days.add(e.work_date)
                latest_entry = open_entry = e
                head_day = e.work_date
                add(e, head_day, "entry")
            elif latest_entry is not None and not expired:
                head_day = latest_entry.work_date
                add(e, head_day, "exit")
            else:  # an exit later than the longest shift after the entry starts nothing
                head_day = None
                near = latest_entry is not None and e.ms - latest_entry.ms <= (
                    NO_EXIT_LOOKBACK // timedelta(milliseconds=1)
                )
                exceptions.add(f"no_exit:{latest_entry.id}" if near else f"no_exit:exit:{e.id}")  # type: ignore[union-attr]
        if open_entry is not None and now_ms - open_entry.ms > max_shift_ms:
            exceptions.add(f"no_exit:{open_entry.id}")

    hop_ms = rules.site_hop_s * 1000
    for stream in presence.values():
        for a in stream:
            for b in stream:
                if a.site_id != b.site_id and abs(a.ms - b.ms) < hop_ms:
                    exceptions.add(f"overlapping_sites:{a.site_id}:{a.worker_id}:{a.work_date}")

    by_worker: dict[int, list[RefRecord]] = defaultdict(list)
    for rec in records.values():
        by_worker[rec.worker_id].append(rec)
    for recs in by_worker.values():
        for a in recs:
            for b in recs:
                if a.site_id != b.site_id and _overlap(a, b):
                    exceptions.add(f"overlapping_sites:{a.site_id}:{a.worker_id}:{a.work_date}")
    return records, exceptions


def _overlap(a: RefRecord, b: RefRecord) -> bool:
    if a.first_in is None or b.first_in is None:
        return False
    a_end = a.last_out or a.first_in
    b_end = b.last_out or b.first_in
    return a.first_in < b_end and b.first_in < a_end


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def stats(
    records: list[RefRecord],
    workers: dict[int, RefWorker],
    companies: dict[int, RefCompany],
) -> dict[str, object]:
    """The figures over the given records (already cut to scope and period)."""
    on_site = {r.worker_id for r in records}
    registered = {w for w in on_site if workers[w].ccus}
    company_ids = {workers[w].company_id for w in on_site}
    firms = {c for c in company_ids if not companies[c].sole}
    registered_firms = {c for c in firms if companies[c].ccus}
    countable = [r for r in records if r.countable(workers[r.worker_id])]
    holder_days = [r for r in records if workers[r.worker_id].ccus]
    kentaikyo_days = [r for r in countable if workers[r.worker_id].kentaikyo]
    return {
        "workers_on_site": len(on_site),
        "worker_registration_rate": rate(len(registered), len(on_site)),
        "companies_on_site": len(firms),
        "company_registration_rate": rate(len(registered_firms), len(firms)),
        "worker_days": len(records),
        "work_history_count": len(countable),
        "accumulation_rate": rate(len(countable), len(records)),
        "card_holder_touch_rate": rate(len(countable), len(holder_days)),
        "kentaikyo_yen": len(kentaikyo_days) * KENTAIKYO_YEN,
    }
