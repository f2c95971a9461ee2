"""Resolving exceptions and approving 事後登録 (manual entries), each audited.

The reason codes are a small fixed catalogue, as home-care visit-verification systems use, so
that the office resolves with one click and the reports can count why things went wrong.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.changes import mark_reconcile
from workers_db.errors import NotFound, ValidationFailed
from workers_db.models import Event, Worker, WorkException, utcnow

# code → (日本語, English)
REASON_CODES: dict[str, tuple[str, str]] = {
    "phone_not_linked": ("電話番号が未登録だった", "Phone not linked to the worker"),
    "caller_id_withheld": ("非通知でかけた", "Caller ID withheld"),
    "card_forgotten": ("カードを忘れた", "Card forgotten"),
    "card_not_registered": ("カードが未登録だった", "Card not registered"),
    "reader_broken": ("カードリーダーの故障", "Reader broken"),
    "no_network": ("現場に電波・回線がない", "No network at the site"),
    "data_entry_error": ("入力ミス", "Data entry error"),
    "left_without_exit": ("退場の記録忘れ", "Left without recording the exit"),
    "exit_time_set": ("退場時刻を入力した", "Exit time entered by the office"),
    "site_kept": ("この現場で正しい", "This site is right"),
    "site_dropped": ("この現場にはいなかった（就業日から外す）", "Not at this site (day dropped)"),
    "confirmed_correct": ("確認済み・問題なし", "Checked, nothing wrong"),
    "other": ("その他", "Other"),
}

# An `overlapping_sites` resolved with this reason drops that (site, worker, day): the next
# reconciliation writes no work record for it (jobs.reconcile_sql.aggregate_days).
DROPPED_REASON = "site_dropped"


def resolve_exception(
    session: Session,
    exception_id: int,
    reason_code: str,
    actor: str,
    note: str | None = None,
) -> WorkException:
    """Close one exception with a reason code; resolving twice keeps the first resolution."""
    row = session.get(WorkException, exception_id)
    if row is None:
        raise NotFound("exception.not_found", {"id": exception_id})
    if reason_code not in REASON_CODES:
        raise ValidationFailed.one(
            "reason_code", "one_of", {"value": reason_code, "choices": ", ".join(REASON_CODES)}
        )
    if reason_code == "other" and not (note or "").strip():
        raise ValidationFailed.one("note", "note.required_for_other")
    if row.status == "resolved":
        return row
    row.status = "resolved"
    row.reason_code = reason_code
    row.resolution_note = (note or "").strip() or None
    row.resolved_by = actor
    row.resolved_at = utcnow()
    audit(
        session,
        actor,
        "resolve_exception",
        "exception",
        row.id,
        kind=row.kind,
        reason_code=reason_code,
        note=row.resolution_note,
    )
    if row.site_id is not None and row.work_date is not None:
        mark_reconcile(session, row.site_id, row.work_date)  # a resolution may change the day
    session.flush()
    return row


STRUCTURE_EXCEPTION = "company_not_in_structure"


def resolve_structure_exceptions(
    session: Session, site_id: int, company_id: int, actor: str
) -> int:
    """A company a call added has been confirmed in the site's 施工体制: its open
    `company_not_in_structure` exceptions are settled by that (reason `confirmed_correct`).
    Returns how many were closed."""
    rows = session.scalars(
        select(WorkException)
        .join(Worker, Worker.id == WorkException.worker_id)
        .where(
            WorkException.kind == STRUCTURE_EXCEPTION,
            WorkException.site_id == site_id,
            WorkException.status != "resolved",
            Worker.company_id == company_id,
        )
    ).all()
    for row in rows:
        resolve_exception(
            session, row.id, "confirmed_correct", actor, note="施工体制で確認 / confirmed"
        )
    return len(rows)


def approve_manual_event(session: Session, event_id: int, actor: str) -> Event:
    """The prime's approval of a 事後登録; only then does the day count (docs/figures.md)."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event.not_found", {"id": event_id})
    if event.source != "manual":
        raise ValidationFailed.one(
            "event_id", "event.not_manual", {"event_id": event_id, "source": event.source}
        )
    if event.approved_at is None:
        event.approved_at = utcnow()
        event.approved_by = actor
        audit(
            session,
            actor,
            "approve_manual",
            "event",
            event.id,
            site_id=event.site_id,
            worker_id=event.worker_id,
            work_date=event.work_date.isoformat(),
        )
        session.flush()  # the changed event marks its day for reconciliation
    return event
