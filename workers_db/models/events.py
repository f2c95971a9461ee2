"""What happened and what it means: raw events (append-only, the source of truth), the work
records and exceptions derived from them, and the audit trail of people's decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workers_db.models.base import Base, UTCDateTime, utcnow

_OPEN_OVERLAPS = "kind = 'overlapping_sites' AND status = 'open'"
EVENT_SOURCES = ("phone", "nfc", "manual", "roster")
DIRECTIONS = ("entry", "exit")
EXCEPTION_KINDS = (
    "unknown_caller",
    "withheld_caller",
    "unknown_card",
    "no_exit",
    "overlapping_sites",
    "clock_unsynced",
    "company_not_in_structure",
    "manual_pending",
    "spool_replayed",
    "correction_requested",
)
EXCEPTION_STATUSES = ("open", "resolved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Event(Base):
    """One raw event of any source.  Never updated except for approval of manual entries and
    for linking an unknown card or phone to its worker afterwards.

    `external_id` is unique: a retried webhook or a re-uploaded touch finds its own row there,
    and the IntegrityError on insert is the normal way such a race is decided.
    `work_date` is the local date (GENBA_TZ) of `occurred_at`, kept for indexing.
    No foreign keys on PostgreSQL (migration 0007): each inserted event locked its site's one
    row; the writers take the ids from what they have just read, and a trigger on `sites` and
    `workers` refuses deleting a row that events refer to.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(_in("source", EVENT_SOURCES), name="source"),
        CheckConstraint(f"direction IS NULL OR {_in('direction', DIRECTIONS)}", name="direction"),
        Index("ix_events_site_date", "site_id", "work_date"),
        Index("ix_events_worker_time", "worker_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(10))
    site_id: Mapped[int] = mapped_column(Integer)  # sites.id (no foreign key: migration 0007)
    worker_id: Mapped[int | None] = mapped_column(Integer)  # workers.id
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    work_date: Mapped[date] = mapped_column(Date)
    direction: Mapped[str | None] = mapped_column(String(5))
    card_uid: Mapped[str | None] = mapped_column(String(40), index=True)
    caller_e164: Mapped[str | None] = mapped_column(String(20))
    device: Mapped[str | None] = mapped_column(String(100))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    clock_synced: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class WorkRecord(Base):
    """One 就業履歴: a worker's day at a site, derived from events by reconciliation.

    No foreign keys (migration 0006): only reconciliation writes records, from events whose
    own keys name the worker and the site, and the per-row checks cost more than the insert."""

    __tablename__ = "work_records"
    __table_args__ = (
        UniqueConstraint("worker_id", "site_id", "work_date"),
        Index("ix_work_records_site_date", "site_id", "work_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(Integer)  # workers.id
    site_id: Mapped[int] = mapped_column(Integer)  # sites.id
    work_date: Mapped[date] = mapped_column(Date)
    first_in: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_out: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sources: Mapped[str] = mapped_column(String(40))  # sorted, comma-separated event sources
    countable: Mapped[bool] = mapped_column(Boolean)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkException(Base):
    """Something a person must look at (例外).  `dedupe_key` makes raising idempotent: intake
    and reconciliation raise the same exception only once, and reconciliation clears its own."""

    __tablename__ = "exceptions"
    __table_args__ = (
        CheckConstraint(_in("kind", EXCEPTION_KINDS), name="kind"),
        CheckConstraint(_in("status", EXCEPTION_STATUSES), name="status"),
        # Reconciliation reads the open ones of a site and date range, and the open overlaps
        # near its dates (migration 0005).
        Index("ix_exceptions_site_status_date", "site_id", "status", "work_date"),
        Index(
            "ix_exceptions_open_overlaps",
            "work_date",
            postgresql_where=text(_OPEN_OVERLAPS),
            sqlite_where=text(_OPEN_OVERLAPS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    work_date: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open")
    reason_code: Mapped[str | None] = mapped_column(String(40))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who did what to which row, when: every resolution, approval, link and edit."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
