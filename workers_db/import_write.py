"""Writing a checked import plan: bulk inserts in one savepoint, all or nothing.

On PostgreSQL the rows go in with COPY (ids for new companies and workers are drawn from
their sequences first, so phones and cards can point at them); elsewhere (the embedded
SQLite) with multi-row INSERTs.  The unique constraints still decide: if a concurrent
registration took a phone, card or id after the check, the savepoint rolls back and
`ImportConflict` says so.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.errors import CodedError, Params
from workers_db.identifiers import card_technology
from workers_db.import_check import ImportPlan, Progress, ProgressFactory, chunks, no_progress
from workers_db.import_csv import PROFILE_COLUMNS
from workers_db.models import Card, Company, Phone, Worker, utcnow
from workers_db.registration import hash_pin

INSERT_BATCH = 5_000  # rows per INSERT call, and per progress step of a COPY
PIN_HASH_THREADS = 4  # argon2 hashes outside the GIL, so threads use every core
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")


class ImportConflict(CodedError):
    """A value of the file was registered by someone else while the import was writing."""


def write_plan(
    session: Session,
    plan: ImportPlan,
    *,
    actor: str = "import",
    source_name: str = "",
    progress: ProgressFactory = no_progress,
) -> None:
    """Insert the plan's new companies, workers, phones and cards, and one audit row."""
    if plan.problems:
        raise ValueError("a plan with problems is not written")
    report = plan.report()
    total = report.companies_new + report.workers_new + report.phones_new + report.cards_new
    bar = progress("書き込み writing", total)
    try:
        with session.begin_nested():
            _write(session, plan, bar)
            audit(
                session,
                actor,
                "import",
                "workers_csv",
                None,
                file=source_name,
                rows=report.rows,
                companies_new=report.companies_new,
                workers_new=report.workers_new,
                phones_new=report.phones_new,
                cards_new=report.cards_new,
            )
            session.flush()
    except (IntegrityError, psycopg.IntegrityError) as exc:
        raise ImportConflict("import.conflict", _conflict_params(exc)) from exc
    finally:
        bar.close()


def _write(session: Session, plan: ImportPlan, bar: Progress) -> None:
    connection = session.connection()
    now = utcnow()
    new_companies = [c for c in plan.companies.values() if c.existing_id is None]
    company_rows = [
        {
            "name": c.name,
            "name_kana": None,
            "ccus_business_id": c.ccus,
            "sole_proprietor": c.sole_proprietor,
            "active": True,
            "created_at": now,
        }
        for c in new_companies
    ]
    company_ids = bulk_insert(connection, Company, company_rows, bar)
    for company, new_id in zip(new_companies, company_ids, strict=True):
        company.existing_id = new_id

    new_workers = [w for w in plan.workers if w.existing_id is None]
    pins = hash_pins([w.row.pin for w in new_workers])
    worker_rows = [
        {
            "company_id": plan.companies[w.company].existing_id,
            "name": w.row.worker,
            "name_kana": w.row.worker_kana,
            "ccus_worker_id": w.row.worker_ccus_id,
            "language": w.row.language,
            "pin_hash": pin,
            "card_level": None,
            "kentaikyo": False,
            "active": True,
            "created_at": now,
            **{name: w.row.profile.get(name) for name in PROFILE_COLUMNS},
        }
        for w, pin in zip(new_workers, pins, strict=True)
    ]
    worker_ids = bulk_insert(connection, Worker, worker_rows, bar)
    for worker, new_id in zip(new_workers, worker_ids, strict=True):
        worker.existing_id = new_id
    created = {id(w) for w in new_workers}
    for known in plan.workers:  # a known worker's roster fields, where the file gives them
        if known.row.profile and id(known) not in created and known.existing_id is not None:
            connection.execute(
                update(Worker).where(Worker.id == known.existing_id).values(**known.row.profile)
            )

    phones = [
        {"e164": e164, "worker_id": w.existing_id, "created_at": now}
        for w in plan.workers
        for e164 in w.new_phones
    ]
    bulk_insert(connection, Phone, phones, bar, returning_ids=False)
    cards = [
        {
            "uid": uid,
            "technology": card_technology(uid),
            "worker_id": w.existing_id,
            "active": True,
            "created_at": now,
        }
        for w in plan.workers
        for uid in w.new_cards
    ]
    bulk_insert(connection, Card, cards, bar, returning_ids=False)


def bulk_insert(
    connection: Connection,
    model: type[Any],
    rows: list[dict[str, Any]],
    bar: Progress,
    returning_ids: bool = True,
) -> list[int]:
    """Insert `rows` (dicts with the same keys) into the model's table; the new ids, in the
    order of `rows`, when `returning_ids`."""
    if not rows:
        return []
    table = model.__table__
    if connection.dialect.name != "postgresql":
        ids: list[int] = []
        for batch in chunks(rows, INSERT_BATCH):
            if returning_ids:
                statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                ids.extend(connection.execute(statement, batch).scalars())
            else:
                connection.execute(insert(table), batch)
            bar.update(len(batch))
        return ids
    ids = []
    if returning_ids:
        ids = list(connection.execute(_NEXT_IDS, {"t": table.name, "n": len(rows)}).scalars())
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    columns = list(rows[0])
    raw = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)
    copy_sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for batch in chunks(rows, INSERT_BATCH):
            for row in batch:
                copy.write_row([_copy_value(row[c]) for c in columns])
            bar.update(len(batch))
    return ids


def _copy_value(value: Any) -> Any:
    """COPY writes Python lists as PostgreSQL arrays: a JSON column gets JSON text."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def hash_pins(pins: list[str | None]) -> list[str | None]:
    """Argon2 hashes of the PINs given, None where none is given."""
    given = [pin for pin in pins if pin]
    if not given:
        return [None] * len(pins)
    with ThreadPoolExecutor(PIN_HASH_THREADS) as pool:
        hashes = iter(list(pool.map(hash_pin, given)))
    return [next(hashes) if pin else None for pin in pins]


_CONFLICT_COLUMNS = (
    ("phones", "phone"),
    ("cards", "card_uid"),
    ("workers", "worker_ccus_id"),
    ("companies", "company_ccus_id"),
)


def _conflict_params(exc: Exception) -> Params:
    """The column whose value was taken, and the database's detail (the value itself)."""
    error = getattr(exc, "orig", None) or exc
    message = str(error)
    column = next((c for table, c in _CONFLICT_COLUMNS if table in message), "?")
    diag = getattr(error, "diag", None)
    detail = f" ({diag.message_detail})" if diag is not None and diag.message_detail else ""
    return {"column": column, "detail": detail}
