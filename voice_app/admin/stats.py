"""Statistics (placeholder until jobs/stats.py lands)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.security import MANAGER_ROLES, login_required


@bp.get("/stats")
@login_required(*MANAGER_ROLES)
def stats() -> ResponseReturnValue:
    return render_template("admin/error.html", code=200, message_key="error.other")
