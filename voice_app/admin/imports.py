"""CSV upload of pre-registrations (the same rules as `genba-call import`): everything is
checked first, any bad row means nothing is written, and every problem is shown as
`行 N: 列: 問題` with N as Excel numbers the rows, in the UI's language (error catalogue).

On top of the importer's own checks, the upload keeps to the user's scope: a company_admin's
file may only hold their own company; a prime or site admin's file may name companies they
already see, and new companies join the chosen site's 施工体制 under the prime.
"""

from __future__ import annotations

from flask import abort, g, render_template, request, send_file
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import form_bool, form_int
from voice_app.admin.i18n import problem_text, translate
from voice_app.admin.registry import placement_sites
from voice_app.admin.security import actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.import_check import company_key
from workers_db.import_csv import TEMPLATE_PATH, ImportFileError, RowProblem, parse_bytes
from workers_db.importer import (
    ImportConflict,
    ImportPlan,
    ImportReport,
    new_company_keys,
    place_new_companies,
    plan_import,
    write_plan,
)
from workers_db.models import Site

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@bp.get("/import/template.csv")
@login_required()
def import_template() -> ResponseReturnValue:
    return send_file(
        TEMPLATE_PATH,
        mimetype="text/csv",
        as_attachment=True,
        download_name="genba-call-import-template.csv",
    )


def _scope_problems(plan: ImportPlan) -> list[RowProblem]:
    """Rows naming a company outside the user's scope (or, for company_admin, any other)."""
    principal = current_principal()
    visible = principal.visible_company_ids(db())
    if visible is None:
        return []
    problems: list[RowProblem] = []
    for key, company in plan.companies.items():
        own_only = principal.role == "company_admin"
        if company.existing_id is None and not own_only:
            continue
        if company.existing_id in visible:
            continue
        code = "import.not_your_company" if own_only else "import.not_at_your_sites"
        for row in plan.parsed.rows:
            if company_key(row) == key:
                problems.append(RowProblem(row.line, "company", code))
    return problems


@bp.route("/import", methods=["GET", "POST"])
@login_required()
def import_csv() -> ResponseReturnValue:
    sites = placement_sites() if g.user.role != "company_admin" else []
    context: dict[str, object] = {
        "sites": sites,
        "report": None,
        "file_error": None,
        "filename": "",
        "dry_run": False,
    }
    if request.method == "GET":
        return render_template("admin/import.html", **context)

    upload = request.files.get("file")
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    filename = (upload.filename if upload else "") or "upload.csv"
    context["filename"] = filename
    dry_run = form_bool("dry_run")
    context["dry_run"] = dry_run
    site_id = form_int("site_id")
    site = None
    if sites or site_id:
        if site_id not in {s.id for s in sites}:
            if site_id is not None or g.user.role != "admin":
                abort(403)
        else:
            site = db().get(Site, site_id)
    if not data:
        context["file_error"] = translate("import.no_file")
        return render_template("admin/import.html", **context), 422
    if len(data) > MAX_UPLOAD_BYTES:
        context["file_error"] = translate("import.too_big")
        return render_template("admin/import.html", **context), 413
    try:
        report = _run(data, dry_run, site, filename)
    except ImportFileError as exc:
        context["file_error"] = problem_text(exc)
        return render_template("admin/import.html", **context), 422
    except ImportConflict as exc:
        db().rollback()
        context["file_error"] = problem_text(exc)
        return render_template("admin/import.html", **context), 409
    context["report"] = report
    status = 422 if report.problems else 200
    return render_template("admin/import.html", **context), status


def _run(data: bytes, dry_run: bool, site: Site | None, filename: str) -> ImportReport:
    session = db()
    visible = current_principal().visible_company_ids(session)
    plan = plan_import(session, parse_bytes(data), visible_companies=visible)
    plan.problems.extend(_scope_problems(plan))
    report = plan.report()
    if report.problems or dry_run:
        session.rollback()
        return report
    new_keys = new_company_keys(plan)
    write_plan(session, plan, actor=actor(), source_name=filename)
    if site is not None:
        place_new_companies(session, plan, new_keys, site, actor())
    session.commit()
    report.written = True
    return report
