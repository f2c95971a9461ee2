"""Sessions, roles, CSRF and response headers of the admin UI.

- The session cookie (Flask's signed cookie) carries the user id and a stamp derived from the
  user's password hash, role, scope and session epoch: changing any of them logs the user out
  everywhere.  Logout, a password change and deactivation raise the epoch
  (`workers_db.logins.end_all_sessions`), so a cookie saved before them opens nothing.
  Cookies are HttpOnly and SameSite=Lax (and Secure in production, set by `create_app`); a
  login lasts at most `MAX_SESSION_AGE`.
- CSRF: a random token in the session, sent back by every form (`csrf_token` field) or by
  fetch (`X-CSRF-Token` header); any POST without the matching token gets 400.
- Every page answers with a strict Content-Security-Policy (no inline script), no framing,
  and `Cache-Control: no-store` (pages carry personal data).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from voice_app.admin import bp
from voice_app.admin.i18n import DEFAULT_LANG, LANGS
from voice_app.extensions import db
from workers_db.audit import ANONYMOUS
from workers_db.models import AdminUser
from workers_db.scope import Principal

F = TypeVar("F", bound=Callable[..., Any])

SESSION_USER = "admin_uid"
SESSION_STAMP = "admin_stamp"
SESSION_SINCE = "admin_since"
SESSION_CSRF = "admin_csrf"
SESSION_LANG = "lang"
MAX_SESSION_AGE_S = 12 * 3600
MANAGER_ROLES = ("admin", "prime_admin", "site_admin")
ALL_ROLES = ("admin", "prime_admin", "site_admin", "company_admin")
_UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def session_stamp(user: AdminUser) -> str:
    material = (
        f"{user.id}:{user.password_hash}:{user.role}:{user.site_id}:{user.company_id}"
        f":{user.session_epoch}"
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def start_session(user: AdminUser) -> None:
    """A fresh session for a successful login (the old one is dropped: no fixation)."""
    lang = session.get(SESSION_LANG)
    session.clear()
    session[SESSION_USER] = user.id
    session[SESSION_STAMP] = session_stamp(user)
    session[SESSION_SINCE] = int(time.time())
    session[SESSION_CSRF] = secrets.token_urlsafe(32)
    session[SESSION_LANG] = lang if lang in LANGS else user.language


def end_session() -> None:
    lang = session.get(SESSION_LANG)
    session.clear()
    if lang in LANGS:
        session[SESSION_LANG] = lang


def principal_of(user: AdminUser) -> Principal:
    return Principal(
        role=user.role,
        name=user.email,
        site_id=user.site_id,
        company_id=user.company_id,
        user_id=user.id,
    )


@bp.before_request
def load_user() -> None:
    g.user = None
    g.principal = None
    uid = session.get(SESSION_USER)
    if uid is not None:
        user = db().get(AdminUser, uid)
        fresh = time.time() - float(session.get(SESSION_SINCE, 0)) < MAX_SESSION_AGE_S
        if (
            user is not None
            and user.active
            and fresh
            and hmac.compare_digest(str(session.get(SESSION_STAMP, "")), session_stamp(user))
        ):
            g.user = user
            g.principal = principal_of(user)
        else:
            end_session()
    lang = session.get(SESSION_LANG) or (g.user.language if g.user else None)
    g.lang = lang if lang in LANGS else DEFAULT_LANG


@bp.before_request
def check_csrf() -> None:
    if request.method not in _UNSAFE_METHODS:
        return
    expected = session.get(SESSION_CSRF)
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, "csrf")


def csrf_token() -> str:
    token = session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return str(token)


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/admin/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def current_principal() -> Principal:
    principal: Principal | None = g.get("principal")
    if principal is None:
        abort(401)
    return principal


def actor() -> str:
    """How the audit trail names the person acting (`user:<id>`, workers_db.audit)."""
    principal: Principal | None = g.get("principal")
    return principal.actor if principal is not None else ANONYMOUS


def safe_next(target: str | None) -> str | None:
    """Only a path inside /admin may be a redirect target after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin/"):
        return None
    if target.startswith("//") or "\\" in target:
        return None
    return target


def login_required(*roles: str) -> Callable[[F], F]:
    """Redirect to the login page without a session; 403 for a role not listed."""
    allowed = roles or ALL_ROLES

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if g.get("user") is None:
                if request.method != "GET" or request.headers.get("X-Requested-With"):
                    abort(401)
                return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
            if g.user.role not in allowed:
                abort(403)
            return cast(ResponseReturnValue, view(*args, **kwargs))

        return cast(F, wrapped)

    return decorator
