"""Login, logout, the language switch and the home page.

Login counts the try per e-mail and per client address (`workers_db.lockout`) and commits
that count before it checks the Argon2 hash (`registration.verify_secret`), so parallel tries
cannot outrun the limit; it answers an unknown e-mail exactly like a wrong password
(same message, a hash verified all the same) so accounts cannot be enumerated.
"""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import nav_site
from voice_app.admin.i18n import LANGS
from voice_app.admin.security import (
    SESSION_LANG,
    end_session,
    login_required,
    safe_next,
    start_session,
)
from voice_app.extensions import db
from workers_db import lockout
from workers_db.accounts import user_by_email
from workers_db.audit import ANONYMOUS, audit, user_actor
from workers_db.logins import end_all_sessions
from workers_db.models import utcnow
from workers_db.registration import hash_secret, verify_secret

_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_secret("not-a-password-of-anyone"))
    return _DUMMY_HASH[0]


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.get("user") is not None:
            return redirect(next_url or url_for("admin.home"))
        return render_template("admin/login.html", next_url=next_url, error=None, email="")

    email = (request.form.get("email") or "").strip().lower()
    password = request.form.get("password") or ""
    session_db = db()
    keys = lockout.login_keys(email, request.remote_addr)
    verdict = lockout.count_try(session_db, keys, utcnow())
    session_db.commit()  # counted before the password is evaluated
    if not verdict.allowed:
        return render_template(
            "admin/login.html", next_url=next_url, error="login.locked", email=email
        ), 429

    user = user_by_email(session_db, email) if email else None
    ok = verify_secret(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.active or not ok:
        if verdict.locks:
            audit(
                session_db,
                ANONYMOUS,
                "login_locked",
                "admin_user",
                None,
                email=email,
                ip=request.remote_addr,
            )
        session_db.commit()
        return render_template(
            "admin/login.html", next_url=next_url, error="login.failed", email=email
        ), 401

    (email_key, _), (address_key, address_limit) = keys
    lockout.clear(session_db, [email_key])
    lockout.forgive(session_db, address_key, address_limit)
    user.last_login_at = utcnow()
    audit(session_db, user_actor(user.id), "login", "admin_user", user.id, ip=request.remote_addr)
    session_db.commit()
    start_session(user)
    return redirect(next_url or url_for("admin.home"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End this session and every other one of the same login (copies of the cookie too)."""
    if g.get("user") is not None:
        end_all_sessions(db(), g.user)
        db().commit()
    end_session()
    return redirect(url_for("admin.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch between 日本語 and English; saved in the session and on the user."""
    lang = request.form.get("lang", "")
    if lang in LANGS:
        session[SESSION_LANG] = lang
        if g.get("user") is not None:
            g.user.language = lang
            db().commit()
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("admin.home"))


@bp.get("/")
@login_required()
def home() -> ResponseReturnValue:
    """Company admins land on their workers; everyone else on the board of their site."""
    if g.user.role == "company_admin":
        return redirect(url_for("admin.workers"))
    site = nav_site()
    if site is None:
        return redirect(url_for("admin.sites"))
    return redirect(url_for("admin.board", site_id=site.id))
