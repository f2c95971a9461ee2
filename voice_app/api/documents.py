"""The site office's documents under /api/v1: `GET /attendance?site_id&month` (the 出面表,
docs/documents.md).  The sheet is built by `workers_db.attendance`; a company admin gets its
own workers' rows only (and head counts of those rows)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from voice_app.api import bp
from voice_app.api.auth import current_principal, require_token
from voice_app.api.payload import query_int
from voice_app.api.records import visible_site_or_403
from voice_app.extensions import db, settings
from workers_db.attendance import attendance_sheet, parse_month, sheet_json
from workers_db.errors import ValidationFailed


@bp.get("/attendance")
@require_token()
def get_attendance() -> ResponseReturnValue:
    principal = current_principal()
    site_id = query_int("site_id", required=True)
    raw = (request.args.get("month") or "").strip()
    month = parse_month(raw)
    if month is None:
        raise ValidationFailed.one(
            "month", f"{raw!r} is not a month YYYY-MM" if raw else "required (YYYY-MM)"
        )
    assert site_id is not None
    visible_site_or_403(principal, site_id)
    sheet = attendance_sheet(db(), site_id, *month, own_company_id=principal.own_company_only)
    return jsonify(sheet_json(sheet, settings().tz))
