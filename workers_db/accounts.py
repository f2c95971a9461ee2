"""Admin-UI logins and API tokens: look-ups and the operations that create or change them.

The admin UI (`/admin/users`) and the CLI (`genba-call create-user`, `create-token`) both call
these, so the password rule, the e-mail rule and the audit rows are the same on both.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.db import DriverStatement, fetch_rows, stamp_unless_held
from workers_db.logins import end_all_sessions
from workers_db.models import AdminUser, ApiToken, Site
from workers_db.registration import hash_secret, hash_token, new_token

MIN_PASSWORD_LENGTH = 10
_TOKENS: Table = ApiToken.__table__  # type: ignore[assignment]


def user_by_email(session: Session, email: str) -> AdminUser | None:
    """The login with this address, whatever its case."""
    return session.scalar(select(AdminUser).where(func.lower(AdminUser.email) == email.lower()))


def email_taken(session: Session, email: str) -> bool:
    return user_by_email(session, email) is not None


def all_users(session: Session) -> list[AdminUser]:
    """Every login by address; the caller keeps those it may manage."""
    return list(session.scalars(select(AdminUser).order_by(AdminUser.email)))


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    site_id: int | None,
    company_id: int | None,
    actor: str,
    language: str = "ja",
) -> AdminUser:
    """Add a login (the caller has checked the fields and its right to grant the role)."""
    user = AdminUser(
        email=email,
        password_hash=hash_secret(password),
        role=role,
        site_id=site_id,
        company_id=company_id,
        language=language,
        active=True,
    )
    session.add(user)
    session.flush()
    audit(
        session,
        actor,
        "create_user",
        "admin_user",
        user.id,
        email=email,
        role=role,
        site_id=site_id,
        company_id=company_id,
    )
    return user


def set_password(session: Session, user: AdminUser, password: str, actor: str) -> None:
    """A new password; every session of the login ends (its old cookies open nothing)."""
    user.password_hash = hash_secret(password)
    end_all_sessions(session, user)
    audit(session, actor, "set_password", "admin_user", user.id, email=user.email)


def create_token(
    session: Session,
    *,
    role: str,
    actor: str,
    device_name: str | None = None,
    site: Site | None = None,
    company_id: int | None = None,
) -> str:
    """A new API token, returned once (only its hash is stored); a device token marks its
    site as having a reader."""
    token = new_token()
    row = ApiToken(
        token_hash=hash_token(token),
        role=role,
        name=device_name or role,
        device_name=device_name,
        site_id=site.id if site else None,
        company_id=company_id,
    )
    session.add(row)
    if device_name and site is not None:
        site.reader_present = True
    session.flush()
    audit(
        session,
        actor,
        "create_token",
        "api_token",
        row.id,
        role=role,
        device_name=device_name,
        site_id=row.site_id,
        company_id=company_id,
    )
    return token


class ActiveToken(NamedTuple):
    """What a request needs of its token (`active_token`)."""

    id: int
    role: str
    name: str
    device_name: str | None
    site_id: int | None
    company_id: int | None


_ACTIVE_TOKEN = DriverStatement(
    select(*(getattr(ApiToken, name) for name in ActiveToken._fields)).where(
        ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)
    )
)
_STAMP_USE = stamp_unless_held(_TOKENS, "token_hash", ("last_used_at",))


def active_token(session: Session, token: str, used_at: datetime) -> ActiveToken | None:
    """The unrevoked token with this secret (compared by its hash), its last use stamped
    `used_at` (`stamp_unless_held`: a reader's concurrent uploads all use its one token).
    Every API request asks this: both statements in one round trip on PostgreSQL
    (`fetch_rows`), no ORM object.  A refused request is rolled back, and its stamp with it."""
    token_hash = hash_token(token)
    rows, _ = fetch_rows(
        session,
        (_ACTIVE_TOKEN, {"token_hash": token_hash}),
        (_STAMP_USE, {"key": token_hash, "last_used_at": used_at}),
    )
    return ActiveToken(*rows[0]) if rows else None


def token_known(session: Session, token: str) -> bool:
    return (
        session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token)))
        is not None
    )
