"""Admin-UI logins: ending every session of a login on the server side.

A session cookie is signed, not stored, so it cannot be deleted from the server; instead its
stamp includes `AdminUser.session_epoch`, and raising the epoch makes every cookie issued
before it worthless on its next request (logout, a password change, deactivation).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workers_db.models import AdminUser


def end_all_sessions(session: Session, user: AdminUser) -> None:
    """Raise the login's session epoch (in SQL, so two concurrent ends both count)."""
    user.session_epoch = AdminUser.session_epoch + 1
    session.flush()
