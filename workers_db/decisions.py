"""One decision per worker at a time: the lock, and the check that lets the zero-key
check-in decide without holding it.

A webhook decides from a worker's recent events (an entry, an exit, a repeat); two webhooks of
one worker with different CallSids must not both decide from the history as it was before
either of them recorded.  Every decision that records something keeps to this in one of two
ways, both around the same advisory lock, `(WORKER_LOCK, worker id)`:

- **Locked**: the lock is taken before the history is read and held until the transaction
  ends (`lock_workers`; `workers_db.callers.LOCK_BY_PHONE` for the workers of a phone).
  Every step but the first of a call with a known caller, and every step on SQLite (which
  lets one writer in at a time anyway).
- **Checked** (the first step of a call with a known caller, on PostgreSQL): the caller's
  workers and their history are read without the lock, in a statement that is a transaction
  of its own, and the read is remembered (`DecisionBasis`: the site, the workers, the window
  and the ids of the events it saw).  The write then takes the lock and, in the same
  transaction, records nothing unless the workers' history at the site in the window holds
  no event that the read did not see (`UNCHANGED`).  A decision whose history changed raises
  `DecisionOutdated`, and the step is decided again, locked.

The two ways exclude each other as two locked decisions do: whoever recorded an event of
the worker held the lock until that event was committed, and a checked write that takes the
lock afterwards sees the event and gives way.  What a checked decision saves is the
transaction around its read (the BEGIN and COMMIT round trips, bench/pg_round_trips.py), and
no webhook waits on another's while that one decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Table,
    all_,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from workers_db.locked_read import LockedRead
from workers_db.models import Event

_EVENTS: Table = Event.__table__  # type: ignore[assignment]

# The advisory lock space of "one decision per worker": (WORKER_LOCK, worker id).
WORKER_LOCK = 4_711
# The sources whose events a decision reads (a manual or roster event is no check-in).
DECIDING_SOURCES = ("phone", "nfc")

# The workers a decision is about, bound as `worker_ids`.
_WORKERS = select(func.unnest(bindparam("worker_ids", type_=ARRAY(Integer))).label("id")).subquery(
    "basis_workers"
)
_in_order = select(_WORKERS.c.id).distinct().order_by(_WORKERS.c.id).subquery()
# The workers of `worker_ids` locked in id order, so that no two webhooks wait on each other.
LOCK_BY_IDS = select(func.pg_advisory_xact_lock(literal(WORKER_LOCK), _in_order.c.id))


def lock_workers(session: Session, worker_ids: Iterable[int]) -> None:
    """Hold the decision lock of these workers until the transaction ends: a locked decision
    takes it before it reads their events (PostgreSQL; SQLite lets one writer in at a time)."""
    ids = sorted(set(worker_ids))
    if ids and session.get_bind().dialect.name == "postgresql":
        session.execute(LOCK_BY_IDS, {"worker_ids": ids})


def deciding_events() -> ColumnElement[bool]:
    """The events a decision reads, of the workers the caller's condition names: their phone
    calls and card touches from `since` to `until` (bound by those names)."""
    return and_(
        _EVENTS.c.source.in_(DECIDING_SOURCES),
        _EVENTS.c.occurred_at >= bindparam("since", type_=DateTime(timezone=True)),
        _EVENTS.c.occurred_at <= bindparam("until", type_=DateTime(timezone=True)),
    )


@dataclass(frozen=True)
class DecisionBasis:
    """What a checked decision read: the history of `worker_ids` at `site_id` from `since` to
    `until`, which held the events `seen` and no other."""

    site_id: int
    worker_ids: tuple[int, ...]
    since: datetime
    until: datetime
    seen: tuple[int, ...]

    def params(self) -> dict[str, Any]:
        """The binds of `LOCK_BY_IDS` and `UNCHANGED`, for psycopg directly
        (`workers_db.db.run_on_driver`): the id lists in PostgreSQL's text form of an array,
        which the statement casts (a Python list costs psycopg's array dumper about 40,000
        instructions a call, bench/ivr_instructions.py)."""
        return {
            "worker_ids": _array_text(self.worker_ids),
            "basis_site_id": self.site_id,
            "since": self.since,
            "until": self.until,
            "seen_event_ids": _array_text(self.seen),
        }


def _array_text(ids: tuple[int, ...]) -> str:
    """`{1,2,3}`: an array of integers as PostgreSQL reads it."""
    return "{" + ",".join(map(str, ids)) + "}"


class DecisionOutdated(Exception):
    """The history a checked decision read changed before its write held the lock: nothing
    of the decision was recorded, and the step is to be decided again."""


def _unchanged() -> ColumnElement[bool]:
    """True while the history of a `DecisionBasis` (bound by its `params()`) is as it was
    read.  Each worker's events of the window are read in a LATERAL subquery fenced with
    `OFFSET 0`, the site and the ids seen tested outside the fence, as in
    `workers_db.callers._callers_at`: with them inside, the plan PostgreSQL keeps for the
    function's statement (a generic one, the array's length unknown) read every event of
    the site through `ix_events_site_date` (6,000 rows a call at the benchmark's rush)
    instead of the worker's few through `ix_events_worker_time`."""
    history = (
        select(_EVENTS.c.site_id, _EVENTS.c.id)
        .where(_EVENTS.c.worker_id == _WORKERS.c.id, deciding_events())
        .offset(literal_column("0"))
        .lateral("basis_history")
    )
    unseen = (
        select(literal(1))
        .select_from(_WORKERS.join(history, true()))
        .where(
            history.c.site_id == bindparam("basis_site_id", type_=Integer),
            history.c.id != all_(bindparam("seen_event_ids", type_=ARRAY(BigInteger))),
        )
    )
    return ~unseen.exists()


UNCHANGED = _unchanged()
_CONFIRM = LockedRead("decision_unchanged", LOCK_BY_IDS, select(UNCHANGED.label("unchanged")))


def confirm(session: Session, basis: DecisionBasis) -> None:
    """Take the lock of the basis' workers for the rest of the transaction, and raise
    `DecisionOutdated` unless their history is as it was read: for a checked decision that
    writes through the general path (more than its one event)."""
    [(unchanged,)] = _CONFIRM.run(session, basis.params(), locked=False)
    if not unchanged:
        raise DecisionOutdated(f"the history of workers {basis.worker_ids} changed")
