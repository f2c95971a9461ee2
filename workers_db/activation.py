"""Switching a company, a worker, a card or a login on or off (deactivating keeps every
record: history stays, look-ups skip it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workers_db.audit import audit


def set_active(
    session: Session, row: Any, active: bool, kind: str, object_type: str, actor: str, **detail: Any
) -> None:
    """Set `row.active`, audited as `activate_<kind>` or `deactivate_<kind>`."""
    row.active = active
    action = f"{'activate' if active else 'deactivate'}_{kind}"
    audit(session, actor, action, object_type, row.id, **detail)
