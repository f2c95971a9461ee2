"""The office's exceptions queue: a page of exceptions in scope, what they refer to, and
approving a day's 事後登録 at once (each approval and resolution audited by
`workers_db.resolutions`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import EXCEPTION_KINDS, Company, Event, Site, Worker, WorkException
from workers_db.resolutions import approve_manual_event, resolve_exception
from workers_db.scope import Principal, own_workers_only, scope_sites, scope_workers


def exception_page(
    session: Session,
    *,
    site_ids: Collection[int] | None,
    site_id: int | None,
    status: str,
    kind: str | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[WorkException], int]:
    """Up to `limit` exceptions after `offset` of the sites in scope (None: every site), oldest
    open first or newest resolved first, and how many match in all."""
    stmt = select(WorkException)
    if site_ids is not None:
        stmt = stmt.where(WorkException.site_id.in_(site_ids))
    if site_id is not None:
        stmt = stmt.where(WorkException.site_id == site_id)
    if status in ("open", "resolved"):
        stmt = stmt.where(WorkException.status == status)
    if kind in EXCEPTION_KINDS:
        stmt = stmt.where(WorkException.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = WorkException.created_at.desc() if status == "resolved" else WorkException.created_at
    rows = list(session.scalars(stmt.order_by(order, WorkException.id).offset(offset).limit(limit)))
    return rows, int(total)


def exception_context(
    session: Session, rows: list[WorkException], visible_site_ids: Collection[int] | None
) -> dict[str, dict[int, Any]]:
    """Sites, workers and events the listed exceptions refer to, in three queries, and the
    moments a day-rule exception names. A site hop's other site is named only when it is in
    the caller's scope (`visible_site_ids`, None: every site): another prime's site stays
    "another site", unnamed."""
    others = {hop["other_site_id"] for r in rows for hop in r.detail.get("hops", [])}
    if visible_site_ids is not None:
        others &= set(visible_site_ids)
    site_ids = {r.site_id for r in rows if r.site_id} | others
    worker_ids = {r.worker_id for r in rows if r.worker_id}
    event_ids = {r.event_id for r in rows if r.event_id}
    return {
        "sites": {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))},
        "workers": {
            w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(worker_ids)))
        },
        "events": {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(event_ids)))},
        "moments": {r.id: _moments(r.detail) for r in rows},
    }


def _moments(detail: dict[str, Any]) -> dict[str, Any]:
    """The times a day-rule exception's detail names (ISO text), as datetimes to show: the
    next record after a forgotten exit, and each site hop (here, there)."""

    def at(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return {
        "next_at": at(detail.get("next_at")),
        "hops": [
            (h["other_site_id"], at(h["at"]), at(h["other_at"])) for h in detail.get("hops", [])
        ],
    }


def recorded_value(
    session: Session, row: WorkException, attribute: str, detail_keys: tuple[str, ...]
) -> str | None:
    """The phone or card id an exception is about: its event's, else from its detail."""
    event = session.get(Event, row.event_id) if row.event_id else None
    value = getattr(event, attribute, None) if event is not None else None
    for key in detail_keys:
        value = value or row.detail.get(key)
    return str(value) if value else None


def approve_manual_day(session: Session, row: WorkException, actor: str) -> None:
    """Approve a 事後登録: the worker's pending manual events of that day at that site (its
    entry and exit) count from now on, and their `manual_pending` exceptions close."""
    same_day = (
        list(
            session.scalars(
                select(WorkException).where(
                    WorkException.kind == "manual_pending",
                    WorkException.status == "open",
                    WorkException.site_id == row.site_id,
                    WorkException.worker_id == row.worker_id,
                    WorkException.work_date == row.work_date,
                    WorkException.event_id.is_not(None),
                )
            )
        )
        if row.worker_id is not None
        else []
    )
    for pending in same_day or [row]:
        assert pending.event_id is not None
        approve_manual_event(session, pending.event_id, actor)
        resolve_exception(session, pending.id, "confirmed_correct", actor, note="approved")


def link_candidates(session: Session, principal: Principal) -> list[tuple[Worker, Company]]:
    """The active workers an unknown phone or card may be linked to, by company and kana."""
    stmt = scope_workers(
        select(Worker, Company)
        .join(Company, Company.id == Worker.company_id)
        .where(Worker.active.is_(True))
        .order_by(Company.name, Worker.name_kana, Worker.name),
        principal,
    )
    return [(worker, company) for worker, company in session.execute(stmt)]


def api_exceptions(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None,
    status: str | None,
    kind: str | None,
    limit: int,
) -> list[WorkException]:
    """`GET /api/v1/exceptions`: newest first, of one site or every site in scope; a
    company_admin sees only those about its own workers."""
    stmt = select(WorkException).order_by(WorkException.id.desc()).limit(limit)
    if site_id is not None:
        stmt = stmt.where(WorkException.site_id == site_id)
    else:
        stmt = scope_sites(stmt, principal, WorkException.site_id)
    if status:
        stmt = stmt.where(WorkException.status == status)
    if kind:
        stmt = stmt.where(WorkException.kind == kind)
    return list(session.scalars(own_workers_only(stmt, principal, WorkException.worker_id)))
