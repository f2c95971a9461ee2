"""Who may do what: API and device tokens (hashes only), admin users, and the failure
counters behind lock-outs (PIN tries on the phone, admin logins)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workers_db.models.base import Base, UTCDateTime, utcnow

ROLES = ("admin", "prime_admin", "site_admin", "company_admin")
TOKEN_ROLES = (*ROLES, "device")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class ApiToken(Base):
    """A bearer token for /api/v1.  Only the SHA-256 of the token is stored.

    Scope follows the role: `prime_admin` → `company_id` is the prime, `site_admin` →
    `site_id`, `company_admin` → `company_id` is the subcontractor, `device` → one NFC reader
    (`device_name`) at `site_id`.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(_in("role", TOKEN_ROLES), name="role"),
        CheckConstraint("role <> 'device' OR site_id IS NOT NULL", name="device_has_site"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    device_name: Mapped[str | None] = mapped_column(String(100))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminUser(Base):
    """A login of the admin web UI; the password is stored as an Argon2 hash."""

    __tablename__ = "admin_users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session's stamp: raising it ends every session of this login at once
    # (logout, a new password, deactivation), whatever cookies are still around.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthFailure(Base):
    """Failed attempts per key (`pin:phone:+81…`, `pin:worker:…`, `login:email`) for lock-outs."""

    __tablename__ = "auth_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
