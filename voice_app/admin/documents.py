"""The site office's paper per site: the 出面表 page (and its XLSX/CSV), the 作業員名簿
download, the 施工体系図 page (and its PDF/SVG) and the entrance poster (docs/documents.md).

Everyone who sees the site sees its 施工体系図 and poster (both are posted on site); the
出面表 and the 作業員名簿 hold personal data: a company admin gets its own workers' rows only.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from jobs.documents.attendance_export import (
    WEEKDAYS,
    attendance_csv,
    attendance_xlsx,
    tier_name,
    times,
)
from jobs.documents.poster import NoNumber, poster_for, render_poster
from jobs.documents.roster import roster_companies, roster_xlsx
from jobs.documents.structure_chart import chart_nodes, render_pdf, render_svg
from voice_app.admin import bp
from voice_app.admin.common import remember_site, today
from voice_app.admin.downloads import file_download
from voice_app.admin.i18n import translate
from voice_app.admin.scoping import own_company_only, site_or_abort
from voice_app.admin.security import current_principal, login_required
from voice_app.extensions import db, settings
from workers_db.attendance import AttendanceSheet, attendance_sheet, inductions, parse_month
from workers_db.identifiers import InvalidIdentifier, normalize_phone
from workers_db.models import Site
from workers_db.profile import site_company_rows
from workers_db.structure_tree import load_tree


def _month() -> tuple[int, int]:
    raw = request.args.get("month")
    if not raw:
        now = today()
        return now.year, now.month
    month = parse_month(raw)
    if month is None:
        abort(400, translate("attendance.bad_month"))
    return month


def _sheet(site: Site) -> AttendanceSheet:
    year, month = _month()
    return attendance_sheet(db(), site.id, year, month, own_company_id=own_company_only())


def _label(site: Site) -> str:
    return f"{site.name}（#{site.site_code}）"


@bp.get("/sites/<int:site_id>/attendance")
@login_required()
def attendance(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    remember_site(site)
    sheet = _sheet(site)
    tz = settings().tz
    weekdays = {d: WEEKDAYS[date(sheet.year, sheet.month, d).weekday()] for d in sheet.day_numbers}
    first = date(sheet.year, sheet.month, 1)
    previous = (first.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    following = date(sheet.year, sheet.month, monthrange(sheet.year, sheet.month)[1]) + timedelta(
        days=1
    )
    return render_template(
        "admin/attendance.html",
        site=site,
        sheet=sheet,
        totals=sheet.totals(),
        weekdays=weekdays,
        tier_name=tier_name,
        times=lambda day: times(day, tz),
        previous=previous,
        following=following.strftime("%Y-%m"),
    )


@bp.get("/sites/<int:site_id>/attendance.<fmt>")
@login_required()
def attendance_download(site_id: int, fmt: str) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    sheet = _sheet(site)
    tz = settings().tz
    if fmt == "xlsx":
        data = attendance_xlsx(sheet, _label(site), tz)
    elif fmt == "csv":
        data = attendance_csv(sheet, _label(site), tz)
    else:
        abort(404)
    return file_download(data, f"出面表_{site.site_code}_{sheet.month_label}.{fmt}")


@bp.get("/sites/<int:site_id>/documents")
@login_required()
def documents(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    remember_site(site)
    session = db()
    own = own_company_only()
    companies = [
        (edge.company_id, name)
        for edge, name in site_company_rows(session, site.id)
        if own is None or edge.company_id == own
    ]
    sheet = _sheet(site)
    return render_template(
        "admin/documents.html",
        site=site,
        companies=companies,
        month=sheet.month_label,
        sheet=sheet,
        inductions=inductions(session, site.id, [r.worker.id for r in sheet.rows]),
        can_manage=current_principal().can_manage_site(session, site.id),
    )


@bp.get("/sites/<int:site_id>/roster.xlsx")
@login_required()
def roster_download(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    year, month = _month()
    company_id = request.args.get("company_id", type=int)
    session = db()
    sheet = attendance_sheet(
        session, site.id, year, month, own_company_id=own_company_only(), company_id=company_id
    )
    data = roster_xlsx(
        site.name,
        site.prime_company.name,
        sheet.month_label,
        roster_companies(session, sheet),
        today(),
    )
    return file_download(data, f"作業員名簿_{site.site_code}_{sheet.month_label}.xlsx")


def _chart(site: Site) -> list[Any]:
    return chart_nodes(load_tree(db(), site.id, {}))


@bp.get("/sites/<int:site_id>/structure/chart")
@login_required()
def structure_chart(site_id: int) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    remember_site(site)
    svg = render_svg(site.name, site.site_code, _chart(site), today())
    session = db()
    return render_template(
        "admin/structure_chart.html",
        site=site,
        svg=Markup(svg),
        can_manage=current_principal().can_manage_site(session, site.id),
        edges=site_company_rows(session, site.id),
    )


@bp.get("/sites/<int:site_id>/structure/chart.<fmt>")
@login_required()
def structure_chart_download(site_id: int, fmt: str) -> ResponseReturnValue:
    site = site_or_abort(site_id)
    nodes = _chart(site)
    if fmt == "pdf":
        data: bytes | str = render_pdf(site.name, site.site_code, nodes, today())
    elif fmt == "svg":
        data = render_svg(site.name, site.site_code, nodes, today())
    else:
        abort(404)
    return file_download(data, f"施工体系図_{site.site_code}.{fmt}")


@bp.get("/sites/<int:site_id>/poster.pdf")
@login_required()
def poster(site_id: int) -> ResponseReturnValue:
    """The site's own number; a site reached through a shared number asks for it
    (`?number=`), and the poster then tells the site code to key."""
    site = site_or_abort(site_id)
    raw = (request.args.get("number") or "").strip()
    try:
        shared = normalize_phone(raw) if raw else None
        text = poster_for(site.name, site.site_code, site.dial_in_number, shared, today())
    except (InvalidIdentifier, NoNumber):
        abort(400, translate("documents.need_number"))
    return file_download(render_poster(text), f"入口ポスター_{site.site_code}.pdf")
