"""Each reconciliation rule on a small hand-made example (docs/reconciliation.md, "Rules"),
and the exceptions it raises and clears with their audit trail."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from tests.reconcile_support import (
    RULES,
    CompanySpec,
    Dataset,
    EventSpec,
    Loaded,
    WorkerSpec,
    db_records,
    load,
    local,
    open_exception_keys,
)
from workers_db.models import AuditEntry, Event, WorkException, WorkRecord
from workers_db.resolutions import approve_manual_event, resolve_exception

D = date(2025, 6, 3)
WINDOW = 600


def run(
    session: Session, loaded: Loaded, first: date = D - timedelta(days=2), days: int = 6
) -> None:
    for site_id in loaded.site_ids:
        reconcile(session, site_id, first, first + timedelta(days=days), rules=RULES)


def one_worker(
    session: Session, events: list[EventSpec], ccus: bool = True, sites: int = 1
) -> Loaded:
    data = Dataset([CompanySpec()], [WorkerSpec(0, ccus=ccus), WorkerSpec(0)], sites, events)
    return load(session, data)


def record(session: Session, loaded: Loaded, day: date, site: int = 0) -> tuple | None:
    return db_records(session).get((loaded.worker_ids[0], loaded.site_ids[site], day))


def test_nfc_first_touch_is_entry_double_reads_do_not_toggle_last_touch_wins(
    db_session: Session,
) -> None:
    touches = [local(D, 8, 0), local(D, 8, 4), local(D, 8, 12), local(D, 12, 0), local(D, 17, 30)]
    loaded = one_worker(db_session, [EventSpec(0, 0, "nfc", t) for t in touches])
    run(db_session, loaded)
    first_in, last_out, sources, countable, count = record(db_session, loaded, D)  # type: ignore[misc]
    assert (first_in, last_out) == (local(D, 8, 0), local(D, 17, 30))
    assert (sources, countable, count) == ("nfc", True, 5)


def test_a_touch_within_the_window_is_a_repeat_not_an_exit(db_session: Session) -> None:
    loaded = one_worker(
        db_session, [EventSpec(0, 0, "nfc", local(D, 8, 0)), EventSpec(0, 0, "nfc", local(D, 8, 9))]
    )
    run(db_session, loaded)
    assert record(db_session, loaded, D)[:2] == (local(D, 8, 0), None)  # type: ignore[index]


def test_overnight_shift_belongs_to_the_entry_date(db_session: Session) -> None:
    loaded = one_worker(
        db_session,
        [
            EventSpec(0, 0, "phone", local(D, 22, 0), "entry"),
            EventSpec(0, 0, "phone", local(D + timedelta(days=1), 6, 30), "exit"),
        ],
    )
    run(db_session, loaded)
    assert record(db_session, loaded, D)[:2] == (
        local(D, 22, 0),
        local(D + timedelta(days=1), 6, 30),
    )  # type: ignore[index]
    assert record(db_session, loaded, D + timedelta(days=1)) is None
    assert open_exception_keys(db_session) == set()


def test_an_exit_later_than_the_longest_shift_starts_nothing_and_raises_no_exit(
    db_session: Session,
) -> None:
    loaded = one_worker(
        db_session,
        [
            EventSpec(0, 0, "phone", local(D, 8, 0), "entry"),
            EventSpec(0, 0, "phone", local(D + timedelta(days=1), 9, 1), "exit"),
        ],
    )
    run(db_session, loaded)
    assert record(db_session, loaded, D)[:2] == (local(D, 8, 0), None)  # type: ignore[index]
    assert record(db_session, loaded, D + timedelta(days=1)) is None
    entry = loaded.events[0]
    row = db_session.scalar(select(WorkException).where(WorkException.kind == "no_exit"))
    assert row is not None
    assert (row.event_id, row.work_date, row.worker_id) == (entry.id, D, entry.worker_id)
    assert row.detail["hours_after_entry"] == 25.0


def test_what_counts(db_session: Session) -> None:
    """Roster alone never counts; a manual entry counts once approved; nothing of a worker
    without a CCUS id counts; events of unknown callers or cards are nobody's day."""
    data = Dataset(
        [CompanySpec()],
        [WorkerSpec(0), WorkerSpec(0, ccus=False)],
        1,
        [
            EventSpec(0, 0, "roster", local(D, 12)),
            EventSpec(0, 0, "manual", local(D + timedelta(days=1), 12)),
            EventSpec(0, 0, "manual", local(D + timedelta(days=2), 12), approved=True),
            EventSpec(1, 0, "phone", local(D, 8), "entry"),
            EventSpec(None, 0, "nfc", local(D, 8)),
        ],
    )
    loaded = load(db_session, data)
    run(db_session, loaded)
    got = {
        (w, day): (sources, countable)
        for (w, _, day), (_, _, sources, countable, _) in db_records(db_session).items()
    }
    w0, w1 = loaded.worker_ids
    assert got == {
        (w0, D): ("roster", False),
        (w0, D + timedelta(days=1)): ("manual", False),
        (w0, D + timedelta(days=2)): ("manual", True),
        (w1, D): ("phone", False),
    }
    assert f"manual_pending:{loaded.events[1].id}" in open_exception_keys(db_session)


def test_running_twice_changes_nothing_and_stale_records_go(db_session: Session) -> None:
    loaded = one_worker(db_session, [EventSpec(0, 0, "nfc", local(D, 8, 0))])
    stale = WorkRecord(
        worker_id=loaded.worker_ids[1],
        site_id=loaded.site_ids[0],
        work_date=D,
        sources="phone",
        countable=True,
        event_count=1,
    )
    db_session.add(stale)
    run(db_session, loaded)
    before = db_session.scalars(select(WorkRecord.updated_at)).all()
    assert list(db_records(db_session)) == [(loaded.worker_ids[0], loaded.site_ids[0], D)]
    again = reconcile(db_session, loaded.site_ids[0], D, D, rules=RULES)
    assert (again.records_written, again.records_deleted) == (0, 0)
    assert db_session.scalars(select(WorkRecord.updated_at)).all() == before


def test_overlapping_sites_raised_on_both_sides_and_cleared_with_audit(db_session: Session) -> None:
    loaded = one_worker(
        db_session,
        [
            EventSpec(0, 0, "phone", local(D, 8), "entry"),
            EventSpec(0, 0, "phone", local(D, 17), "exit"),
            EventSpec(0, 1, "nfc", local(D, 10)),
            EventSpec(0, 1, "nfc", local(D, 12)),
        ],
        sites=2,
    )
    run(db_session, loaded)
    worker = loaded.worker_ids[0]
    keys = {f"overlapping_sites:{s}:{worker}:{D}" for s in loaded.site_ids}
    assert open_exception_keys(db_session) == keys

    # The card at the second site turns out to be the other worker's: relink, reconcile.
    db_session.execute(
        update(Event)
        .where(Event.site_id == loaded.site_ids[1])
        .values(worker_id=loaded.worker_ids[1])
    )
    reconcile(db_session, loaded.site_ids[1], D, D, rules=RULES)
    assert open_exception_keys(db_session) == set()
    cleared = db_session.scalars(
        select(WorkException).where(WorkException.kind == "overlapping_sites")
    ).all()
    assert {(x.status, x.reason_code, x.resolved_by) for x in cleared} == {
        ("resolved", "confirmed_correct", "system:reconcile")
    }
    audits = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "clear_exception")
    ).all()
    assert sorted(int(a.object_id or 0) for a in audits) == sorted(x.id for x in cleared)


def test_manual_pending_clears_on_approval_and_a_persons_resolution_stays(
    db_session: Session,
) -> None:
    loaded = one_worker(
        db_session,
        [
            EventSpec(0, 0, "manual", local(D, 12)),
            EventSpec(0, 0, "manual", local(D + timedelta(days=1), 12)),
        ],
    )
    run(db_session, loaded)
    first, second = loaded.events
    by_key = {x.dedupe_key: x for x in db_session.scalars(select(WorkException))}
    person = resolve_exception(
        db_session, by_key[f"manual_pending:{second.id}"].id, "other", "test", "会社に確認中"
    )
    approve_manual_event(db_session, first.id, "prime_admin:元請")
    approve_manual_event(db_session, second.id, "prime_admin:元請")
    run(db_session, loaded)
    auto = by_key[f"manual_pending:{first.id}"]
    db_session.refresh(auto)
    db_session.refresh(person)
    assert (auto.status, auto.resolved_by) == ("resolved", "system:reconcile")
    assert (person.status, person.reason_code, person.resolved_by) == ("resolved", "other", "test")
    assert record(db_session, loaded, D)[3] is True  # type: ignore[index]  (countable now)


def test_a_cleared_exception_reopens_when_its_condition_returns(db_session: Session) -> None:
    touches = [local(D, 8), local(D, 17)]  # an entry and its exit: only the clock is wrong
    loaded = one_worker(
        db_session,
        [EventSpec(0, 0, "nfc", t, clock_synced=False, device="r1") for t in touches],
    )
    run(db_session, loaded)
    key = f"clock_unsynced:{loaded.site_ids[0]}:r1:{D}"
    assert open_exception_keys(db_session) == {key}
    db_session.execute(update(Event).values(clock_synced=True))
    run(db_session, loaded)
    assert open_exception_keys(db_session) == set()
    db_session.execute(update(Event).values(clock_synced=False))
    run(db_session, loaded)
    assert open_exception_keys(db_session) == {key}
    actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["clear_exception", "reopen_exception"]
