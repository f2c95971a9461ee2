"""What every page shares: template globals, error pages, form and date helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import phonenumbers
from flask import flash, g, render_template, request, session
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from voice_app.admin import bp
from voice_app.admin.i18n import (
    column_label,
    current_lang,
    field_label,
    problem_text,
    translate,
)
from voice_app.admin.security import actor, csrf_token
from voice_app.extensions import db, settings
from workers_db.activation import set_active
from workers_db.errors import FieldProblem
from workers_db.models import Site
from workers_db.sites import busiest_site, open_exception_total

SESSION_SITE = "site_id"


def today() -> date:
    return datetime.now(settings().tz).date()


def local_time(moment: datetime | None, with_date: bool = False) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(settings().tz)
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def parse_date(value: str | None, default: date) -> date:
    """A `YYYY-MM-DD` query value, or the default when absent or malformed."""
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def date_range_args(default_days: int = 30) -> tuple[date, date]:
    end = parse_date(request.args.get("to"), today())
    start = parse_date(request.args.get("from"), end - timedelta(days=default_days - 1))
    if start > end:
        start, end = end, start
    if (end - start).days > 731:  # two fiscal years is plenty for a page
        start = end - timedelta(days=731)
    return start, end


def remember_site(site: Site) -> None:
    session[SESSION_SITE] = site.id


def nav_site() -> Site | None:
    """The site the navigation links point at: the last one visited, else the first visible."""
    principal = g.get("principal")
    if principal is None:
        return None
    session_db = db()
    ids = principal.visible_site_ids(session_db)
    wanted = session.get(SESSION_SITE)
    if wanted is not None and (ids is None or wanted in ids):
        site = session_db.get(Site, wanted)
        if site is not None:
            return site
    # no site chosen yet: the busiest site today (where the calls are coming in), else by name
    return busiest_site(session_db, ids, today())


def open_exception_count() -> int:
    principal = g.get("principal")
    if principal is None or principal.role == "company_admin":
        return 0
    return open_exception_total(db(), principal.visible_site_ids(db()))


def problems_by_field(problems: list[FieldProblem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for problem in problems:
        out.setdefault(problem.field or "", []).append(problem_text(problem))
    return out


def form_bool(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true", "yes")


def save_active_flag(row: Any, kind: str, object_type: str, **detail: Any) -> None:
    """Set `row.active` from the form's `active` field, audit it as `activate_<kind>` or
    `deactivate_<kind>`, commit, and tell the user it was saved (deactivating keeps history)."""
    set_active(db(), row, form_bool("active"), kind, object_type, actor(), **detail)
    db().commit()
    flash(translate("flash.saved"), "ok")


def form_int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@bp.app_template_filter("hm")
def _hm(moment: datetime | None) -> str:
    return local_time(moment)


@bp.app_template_filter("tel")
def _tel(e164: str | None) -> str:
    """A stored E.164 number as people write it: 090-1234-5678 for Japan, else +CC …."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 81
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


@bp.app_template_filter("ymdhm")
def _ymdhm(moment: datetime | None) -> str:
    return local_time(moment, with_date=True)


@bp.context_processor
def _globals() -> dict[str, Any]:
    site = nav_site() if g.get("user") is not None else None
    return {
        "_": translate,
        "field_label": field_label,
        "problem_text": problem_text,
        "column_label": column_label,
        "lang": current_lang(),
        "csrf_token": csrf_token,
        "user": g.get("user"),
        "nav_site": site,
        "open_exceptions": open_exception_count() if g.get("user") is not None else 0,
        "timedelta": timedelta,
    }


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    if request.headers.get("X-Requested-With") or request.path.endswith(".json"):
        return {"error": exc.name, "status": code}, code
    key = {400: "error.400", 401: "error.401", 403: "error.403", 404: "error.404"}.get(
        code, "error.other"
    )
    if code == 400 and exc.description == "csrf":
        key = "error.csrf"
    return render_template("admin/error.html", code=code, message_key=key), code
