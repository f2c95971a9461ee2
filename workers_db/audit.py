"""The audit trail: every decision a person makes about the data leaves one row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workers_db.models import AuditEntry, utcnow


def audit(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: object | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit row in the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    session.add(entry)
    return entry
