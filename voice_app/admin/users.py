"""Admin-UI accounts (like `genba-call create-user`, from the browser): a prime or site admin
gives a subcontractor its company_admin login, so that subcontractors register their own
workers.  Nobody grants more than they hold: an admin anything; a prime_admin logins for its
own company, its sites and the companies working there; a site_admin for its site and the
companies in its 施工体制.  Passwords are Argon2 hashes; every change is audited."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import form_bool, form_int, problems_by_field, save_active_flag
from voice_app.admin.i18n import translate
from voice_app.admin.registry import placement_sites
from voice_app.admin.scoping import company_choices
from voice_app.admin.security import MANAGER_ROLES, actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.accounts import (
    MIN_PASSWORD_LENGTH,
    all_users,
    create_user,
    email_taken,
    set_password,
)
from workers_db.errors import FieldProblem
from workers_db.logins import end_all_sessions
from workers_db.models import ROLES, AdminUser


def manageable(user: AdminUser) -> bool:
    """May the signed-in user create or change this login?"""
    principal = current_principal()
    session = db()
    if principal.is_admin:
        return True
    if user.role == "prime_admin":
        return principal.role == "prime_admin" and user.company_id == principal.company_id
    if user.role == "site_admin":
        return user.site_id is not None and principal.can_manage_site(session, user.site_id)
    if user.role == "company_admin":
        visible = principal.visible_company_ids(session) or set()
        return user.company_id in visible
    return False


def grantable_roles() -> tuple[str, ...]:
    role = current_principal().role
    if role == "admin":
        return ROLES
    if role == "prime_admin":
        return ("prime_admin", "site_admin", "company_admin")
    return ("site_admin", "company_admin")


@bp.get("/users")
@login_required(*MANAGER_ROLES)
def users() -> ResponseReturnValue:
    return _page(_manageable_users(), {}, None)


def _manageable_users() -> list[AdminUser]:
    return [u for u in all_users(db()) if manageable(u)]


def _page(rows: list[AdminUser], errors: dict[str, list[str]], form: object) -> str:
    return render_template(
        "admin/users.html",
        rows=rows,
        errors=errors,
        form=form,
        roles=grantable_roles(),
        sites=placement_sites(),
        companies=company_choices(),
        min_length=MIN_PASSWORD_LENGTH,
    )


def _password(problems: list[FieldProblem]) -> str:
    password = request.form.get("password") or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            FieldProblem("password", "password.too_short", {"min": MIN_PASSWORD_LENGTH})
        )
    return password


@bp.post("/users")
@login_required(*MANAGER_ROLES)
def user_create() -> ResponseReturnValue:
    problems: list[FieldProblem] = []
    email = (request.form.get("email") or "").strip().lower()
    role = request.form.get("role") or ""
    if "@" not in email or len(email) > 254:
        problems.append(FieldProblem("email", "email.invalid"))
    elif email_taken(db(), email):
        problems.append(FieldProblem("email", "email.taken"))
    if role not in grantable_roles():
        abort(403)
    user = AdminUser(
        email=email,
        role=role,
        site_id=form_int("site_id") if role == "site_admin" else None,
        company_id=form_int("company_id") if role in ("prime_admin", "company_admin") else None,
        language=request.form.get("language") if request.form.get("language") == "en" else "ja",
        active=True,
    )
    if role == "site_admin" and user.site_id is None:
        problems.append(FieldProblem("site_id", "site.choose"))
    if role in ("prime_admin", "company_admin") and user.company_id is None:
        problems.append(FieldProblem("company_id", "company.choose"))
    password = _password(problems)
    if (user.site_id is not None or user.company_id is not None) and not manageable(user):
        abort(403)  # outside the user's scope, whatever else is wrong with the form
    if problems:
        return _page(_manageable_users(), problems_by_field(problems), request.form), 422
    create_user(
        db(),
        email=email,
        password=password,
        role=role,
        site_id=user.site_id,
        company_id=user.company_id,
        language=user.language,
        actor=actor(),
    )
    db().commit()
    flash(translate("users.created", email=email), "ok")
    return redirect(url_for("admin.users"))


def _user_or_abort(user_id: int) -> AdminUser:
    user = db().get(AdminUser, user_id)
    if user is None:
        abort(404)
    if not manageable(user):
        abort(403)
    return user


@bp.post("/users/<int:user_id>/active")
@login_required(*MANAGER_ROLES)
def user_active(user_id: int) -> ResponseReturnValue:
    user = _user_or_abort(user_id)
    if user.id == g.user.id:
        abort(400)  # not yourself: someone else must be able to undo it
    if not form_bool("active"):
        end_all_sessions(db(), user)  # reactivating later must not revive old cookies
    save_active_flag(user, "user", "admin_user", email=user.email)
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@login_required(*MANAGER_ROLES)
def user_password(user_id: int) -> ResponseReturnValue:
    """Set a new password; every session of that login ends."""
    user = _user_or_abort(user_id)
    problems: list[FieldProblem] = []
    password = _password(problems)
    if problems:
        for messages in problems_by_field(problems).values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("admin.users"))
    set_password(db(), user, password, actor())
    db().commit()
    flash(translate("users.password_set", email=user.email), "ok")
    return redirect(url_for("admin.users"))
