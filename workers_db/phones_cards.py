"""Who owns a phone number or a card, a worker's phones, and a worker's recent events: the
office's look-ups, limited to what the caller sees (workers_db.scope)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from workers_db.identifiers import InvalidIdentifier, canonical_card_uid, normalize_phone
from workers_db.models import Card, Company, Event, Phone, Site, Worker
from workers_db.scope import Principal, scope_sites, scope_workers


def phones_of(session: Session, worker_ids: Collection[int]) -> dict[int, list[str]]:
    """Each worker's numbers, in the order they were registered."""
    phones: dict[int, list[str]] = {}
    if worker_ids:
        for e164, worker_id in session.execute(
            select(Phone.e164, Phone.worker_id)
            .where(Phone.worker_id.in_(worker_ids))
            .order_by(Phone.id)
        ):
            phones.setdefault(worker_id, []).append(e164)
    return phones


def phone_owners(
    session: Session, q: str, principal: Principal, limit: int, offset: int = 0
) -> list[Row[Any]]:
    """(Phone, Worker, Company) rows: the owner of `q` read as a number (any spelling), else
    the numbers containing its digits, else every number in scope."""
    stmt = _owned(
        select(Phone, Worker, Company).join(Worker, Worker.id == Phone.worker_id), principal
    )
    if q:
        try:
            stmt = stmt.where(Phone.e164 == normalize_phone(q))
        except InvalidIdentifier:
            stmt = stmt.where(Phone.e164.like(f"%{''.join(ch for ch in q if ch.isdigit())}%"))
    return list(session.execute(stmt.order_by(Phone.e164).offset(offset).limit(limit)).all())


def card_owners(
    session: Session, q: str, principal: Principal, limit: int, offset: int = 0
) -> list[Row[Any]]:
    """(Card, Worker, Company) rows: the owner of `q` read as a card id (any spelling), else
    the ids containing it, else every card in scope."""
    stmt = _owned(
        select(Card, Worker, Company).join(Worker, Worker.id == Card.worker_id), principal
    )
    if q:
        try:
            stmt = stmt.where(Card.uid == canonical_card_uid(q))
        except InvalidIdentifier:
            stmt = stmt.where(Card.uid.ilike(f"%{q}%"))
    return list(session.execute(stmt.order_by(Card.uid).offset(offset).limit(limit)).all())


def recent_events(
    session: Session, worker_id: int, principal: Principal, limit: int
) -> list[tuple[Event, Site]]:
    """(Event, Site) rows of the worker's latest events at the sites in scope."""
    stmt = (
        select(Event, Site)
        .join(Site, Site.id == Event.site_id)
        .where(Event.worker_id == worker_id)
        .order_by(Event.occurred_at.desc())
        .limit(limit)
    )
    stmt = scope_sites(stmt, principal, Event.site_id)
    return [(event, site) for event, site in session.execute(stmt)]


def _owned(stmt: Any, principal: Principal) -> Any:
    return scope_workers(stmt.join(Company, Company.id == Worker.company_id), principal)
