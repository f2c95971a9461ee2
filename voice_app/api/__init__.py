"""/api/v1: the JSON API (docs/api.md, docs/reconciliation.md, docs/nfc.md).

Errors: 401 without or with a wrong token, 403 for the wrong role or an object outside the
token's scope (`Forbidden`), 404 for an unknown id or a worker outside the scope (`NotFound`:
whether that worker exists is not told), 422 `{"errors": [{"field", "message"}]}` for bad input.
Messages come from the error catalogue in the client's language (`Accept-Language: ja` for
Japanese; docs/errors.md).
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from voice_app.api.payload import request_lang
from workers_db.errors import Forbidden, NotFound, ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(ValidationFailed)
def _validation(exc: ValidationFailed) -> ResponseReturnValue:
    lang = request_lang()
    return jsonify(errors=[p.as_json(lang) for p in exc.problems]), 422


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> ResponseReturnValue:
    return jsonify(errors=[{"field": exc.field, "message": exc.text(request_lang())}]), 404


@bp.errorhandler(Forbidden)
def _forbidden(exc: Forbidden) -> ResponseReturnValue:
    return jsonify(errors=[{"field": None, "message": exc.text(request_lang())}]), 403


@bp.errorhandler(DataError)
def _out_of_range(exc: DataError) -> ResponseReturnValue:
    """A number the database cannot hold (an id past 2147483647, found by fuzzing): bad
    input, not a server error."""
    from voice_app.extensions import db

    db().rollback()  # the transaction is broken; nothing of this request may be kept
    diag = getattr(exc.orig, "diag", None)
    reason = getattr(diag, "message_primary", None) or "a value is out of range"
    return jsonify(errors=[{"field": None, "message": reason}]), 422


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> ResponseReturnValue:
    return jsonify(errors=[{"field": None, "message": exc.description}]), exc.code or 500


def register(app: Flask) -> None:
    """Called by `create_app`, the one place that lists the route modules: each registers its
    views on `bp` when imported, and imports `bp` from here (never the other way round)."""
    from voice_app.api import (  # noqa: F401
        documents,  # GET /api/v1/attendance
        openapi,  # GET /api/v1/openapi.json
        profile,  # the documents' fields of workers and of the 施工体制
        records,  # events, work records, manual entries
        records_review,  # exceptions, reconcile, stats
        registry,  # companies, sites, site-companies
        registry_workers,  # workers, roster
        targets,  # targets, site targets
        touches,  # POST /api/v1/touches
    )

    app.register_blueprint(bp)
