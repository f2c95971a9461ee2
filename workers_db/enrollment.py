"""Linking an unknown card or phone to its worker afterwards (カード・電話番号の後付け登録).

After `link_card` / `link_phone` the identifier belongs to the worker, the earlier events that
carried it with no worker get the worker, the open `unknown_card` / `unknown_caller`
exceptions about it are resolved (reason `card_not_registered` / `phone_not_linked`), the
change is audited, and every affected (site, day) is reconciled after commit (marked here
for the linked events, by `resolve_exception` for the exceptions) — so the earlier
touches and calls count for the worker.

An exception is "about" the identifier when it points at one of those events (`event_id`) or
its detail names it (`detail["card_uid"]`, `detail["caller_e164"]`).  Used by the admin UI, the
IVR and `genba-call link-card`; they own the session and commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.changes import mark_reconcile
from workers_db.errors import NotFound
from workers_db.identifiers import mask_phone
from workers_db.models import Event, Worker, WorkException
from workers_db.registration import add_card, add_phone
from workers_db.resolutions import resolve_exception


@dataclass
class LinkResult:
    """What a link changed."""

    worker_id: int
    identifier: str  # canonical card uid or E.164
    event_ids: list[int] = field(default_factory=list)  # events that got the worker
    exceptions_resolved: list[int] = field(default_factory=list)
    days: list[tuple[int, date]] = field(default_factory=list)  # (site_id, work_date) reconciled

    @property
    def events_linked(self) -> int:
        return len(self.event_ids)


def link_card(session: Session, card_uid: str, worker_id: int, actor: str) -> LinkResult:
    """Register `card_uid` to the worker and give them its earlier touches."""
    _worker(session, worker_id)
    card = add_card(session, worker_id, card_uid)  # canonical form; refuses another's card
    result = _link(
        session,
        LinkResult(worker_id, card.uid),
        Event.card_uid == card.uid,
        kind="unknown_card",
        detail_key="card_uid",
        reason="card_not_registered",
        actor=actor,
    )
    audit(
        session,
        actor,
        "link_card",
        "card",
        card.id,
        card_uid=card.uid,
        worker_id=worker_id,
        event_ids=result.event_ids,
        exceptions_resolved=result.exceptions_resolved,
    )
    session.flush()
    return result


def link_phone(session: Session, e164: str, worker_id: int, actor: str) -> LinkResult:
    """Register the phone number to the worker and give them its earlier calls."""
    _worker(session, worker_id)
    phone = add_phone(session, worker_id, e164)  # E.164; refuses another's number
    result = _link(
        session,
        LinkResult(worker_id, phone.e164),
        Event.caller_e164 == phone.e164,
        kind="unknown_caller",
        detail_key="caller_e164",
        reason="phone_not_linked",
        actor=actor,
    )
    audit(
        session,
        actor,
        "link_phone",
        "phone",
        phone.id,
        phone=mask_phone(phone.e164),
        worker_id=worker_id,
        event_ids=result.event_ids,
        exceptions_resolved=result.exceptions_resolved,
    )
    session.flush()
    return result


def _worker(session: Session, worker_id: int) -> Worker:
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise NotFound("worker.not_found", {"id": worker_id})
    return worker


def _link(
    session: Session,
    result: LinkResult,
    carries_identifier: object,
    *,
    kind: str,
    detail_key: str,
    reason: str,
    actor: str,
) -> LinkResult:
    linked = session.execute(
        update(Event)
        .where(carries_identifier, Event.worker_id.is_(None))  # type: ignore[arg-type]
        .values(worker_id=result.worker_id)
        .returning(Event.id, Event.site_id, Event.work_date),
        execution_options={"synchronize_session": False},
    ).all()
    result.event_ids = sorted(row.id for row in linked)
    days = {(row.site_id, row.work_date) for row in linked}
    query = select(WorkException).where(
        WorkException.kind == kind,
        WorkException.status == "open",
        or_(
            WorkException.event_id.in_(result.event_ids),
            WorkException.detail[detail_key].as_string() == result.identifier,
        ),
    )
    for row in session.scalars(query.order_by(WorkException.id)).all():
        resolve_exception(
            session, row.id, reason, actor, note=f"linked to worker {result.worker_id}"
        )
        result.exceptions_resolved.append(row.id)
        if row.site_id is not None and row.work_date is not None:
            days.add((row.site_id, row.work_date))
    result.days = sorted(days)
    for site_id, day in {(row.site_id, row.work_date) for row in linked}:
        mark_reconcile(session, site_id, day)  # a set-based UPDATE: the flush hook sees none
    return result
