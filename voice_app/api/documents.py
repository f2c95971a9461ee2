"""The site office's documents under /api/v1: `GET /attendance?site_id&month` (the 出面表,
docs/documents.md).  The sheet is built by `workers_db.attendance`; a company admin gets its
own workers' rows only (and head counts of those rows)."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from voice_app.api.answers import Document
from voice_app.api.auth import current_principal
from voice_app.api.declare import operation
from voice_app.api.records import ANY_ROLE, visible_site_or_403
from voice_app.api.requests import AttendanceQuery
from voice_app.extensions import db, settings
from workers_db.attendance import attendance_sheet, parse_month, sheet_json
from workers_db.errors import ValidationFailed


@operation(
    "GET",
    "/attendance",
    summary="the 出面表 of a site for a month (docs/documents.md)",
    roles=ANY_ROLE,
    tag="documents",
    query=AttendanceQuery,
    answers={200: ("the sheet", Document)},
)
def get_attendance(query: AttendanceQuery) -> ResponseReturnValue:
    principal = current_principal()
    site_id, raw = query.site_id, query.month.strip()
    month = parse_month(raw)
    if month is None:
        code = "month.format" if raw else "month.required"
        raise ValidationFailed.one("month", code, {"value": raw} if raw else None)
    visible_site_or_403(principal, site_id)
    sheet = attendance_sheet(db(), site_id, *month, own_company_id=principal.own_company_only)
    return jsonify(sheet_json(sheet, settings().tz))
