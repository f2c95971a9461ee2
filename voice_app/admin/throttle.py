"""Login throttling on the `auth_failures` table: per e-mail (`login:<email>`) and per client
address (`login-ip:<ip>`).  Too many failures inside the window lock the key for a while;
a locked key is refused before the password is even checked."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers_db.models import AuthFailure, utcnow

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
EMAIL_LIMIT = 5
IP_LIMIT = 20


def email_key(email: str) -> str:
    return f"login:{email.strip().lower()}"


def ip_key(address: str | None) -> str:
    return f"login-ip:{address or 'unknown'}"


def locked_until(
    session: Session, keys: Iterable[str], now: datetime | None = None
) -> datetime | None:
    """The latest lock still in force on any of `keys`, or None."""
    now = now or utcnow()
    until = session.scalar(
        select(AuthFailure.locked_until)
        .where(AuthFailure.key.in_(list(keys)), AuthFailure.locked_until > now)
        .order_by(AuthFailure.locked_until.desc())
        .limit(1)
    )
    return until


def record_failure(session: Session, key: str, limit: int, now: datetime | None = None) -> bool:
    """Count one failure; returns True when this failure locks the key."""
    now = now or utcnow()
    row = session.scalar(select(AuthFailure).where(AuthFailure.key == key).with_for_update())
    if row is None:
        row = AuthFailure(key=key, failures=0, first_failure_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # a concurrent failure created it first
            row = session.scalars(select(AuthFailure).where(AuthFailure.key == key)).one()
    if now - row.first_failure_at > WINDOW:
        row.failures = 0
        row.first_failure_at = now
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + LOCK
        row.failures = 0
        row.first_failure_at = now
        return True
    return False


def clear(session: Session, key: str) -> None:
    row = session.scalar(select(AuthFailure).where(AuthFailure.key == key))
    if row is not None:
        session.delete(row)
