"""Bearer tokens for /api/v1: looked up by SHA-256, never stored in clear."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from voice_app.extensions import db
from workers_db.accounts import active_token
from workers_db.errors import Forbidden, Unauthorized
from workers_db.models import utcnow
from workers_db.scope import Principal

F = TypeVar("F", bound=Callable[..., Any])
ADMIN_ROLES = ("admin", "prime_admin", "site_admin", "company_admin")


def current_principal() -> Principal:
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise Unauthorized("auth.token_required")
    return principal


def require_token(*roles: str) -> Callable[[F], F]:
    """401 unless the request carries a valid, unrevoked token; 403 unless its role is listed."""
    allowed = roles or ADMIN_ROLES

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("auth.token_required")
            session = db()
            row = active_token(session, token.strip(), utcnow())
            if row is None:
                raise Unauthorized("auth.token_unknown")
            if row.role not in allowed:
                raise Forbidden("auth.role_refused", {"role": row.role})
            g.principal = Principal(
                role=row.role,
                name=row.device_name or row.name,
                site_id=row.site_id,
                company_id=row.company_id,
                token_id=row.id,
            )
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator
