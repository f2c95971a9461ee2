"""/api/v1: the JSON API (docs/api.md, docs/reconciliation.md, docs/nfc.md).

Every answer under /api/v1 is JSON, errors included, whatever their status:
`{"errors": [{"field", "message"}]}` (`field` names the parameter where there is one).
401 without or with a wrong token, 403 for the wrong role or an object outside the token's
scope (`Forbidden`), 404 for an unknown id or path (`NotFound`: whether a worker outside the
scope exists is not told), 405 for a method the path does not take, 413/415 for a body too
large or not JSON, 422 for bad input (every problem), 500 for an unexpected error.
Messages come from the error catalogue in the client's language (`Accept-Language: ja` for
Japanese; docs/errors.md).
Operations are declared with `voice_app.api.declare.operation`; their description is
generated (`voice_app.api.openapi`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError

from voice_app.api.payload import request_lang
from workers_db.errors import Forbidden, NotFound, Unauthorized, Unavailable, ValidationFailed

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
log = logging.getLogger(__name__)


def errors(status: int, message: str, field: str | None = None) -> Response:
    response = jsonify(errors=[{"field": field, "message": message}])
    response.status_code = status
    return response


def _rollback() -> None:
    from voice_app.extensions import db

    db().rollback()  # the transaction may be broken; nothing of this request is kept


@bp.errorhandler(ValidationFailed)
def _validation(exc: ValidationFailed) -> ResponseReturnValue:
    lang = request_lang()
    return jsonify(errors=[p.as_json(lang) for p in exc.problems]), 422


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> ResponseReturnValue:
    """`field` is the body field that held the id, else the path's id."""
    path_ids = list(request.view_args or {})
    field = exc.field or (path_ids[0] if len(path_ids) == 1 else None)
    return errors(404, exc.text(request_lang()), field)


@bp.errorhandler(Unauthorized)
def _unauthorized(exc: Unauthorized) -> ResponseReturnValue:
    response = errors(401, exc.text(request_lang()))
    response.headers["WWW-Authenticate"] = 'Bearer realm="genba-call"'
    return response


@bp.errorhandler(Unavailable)
def _unavailable(exc: Unavailable) -> ResponseReturnValue:
    response = errors(503, exc.text(request_lang()))
    response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(Forbidden)
def _forbidden(exc: Forbidden) -> ResponseReturnValue:
    return errors(403, exc.text(request_lang()))


@bp.errorhandler(DataError)
def _data_error(exc: DataError) -> ResponseReturnValue:
    """A value the database refused although the declared bounds let it through: a bug of
    the declaration, answered as a 500 in JSON (never the database's words)."""
    return _unexpected(exc)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, HTTPException):
        return _http(exc)
    log.exception("unexpected error in %s %s", request.method, request.path)
    _rollback()
    return errors(500, InternalServerError.description or "internal server error")


def _http(exc: HTTPException) -> Response:
    response = errors(exc.code or 500, exc.description or exc.name)
    allow = exc.get_response().headers.get("Allow")
    if allow:
        response.headers["Allow"] = allow
    if (exc.code or 500) >= 500:
        _rollback()
    return response


def _app_http(exc: HTTPException) -> ResponseReturnValue:
    """Errors raised before a view of the blueprint is chosen (an unknown path or method, a
    body too large): JSON under /api/v1, Flask's own answer elsewhere."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return _http(exc)
    return exc


def register(app: Flask) -> None:
    """Called by `create_app`, the one place that lists the route modules: each declares its
    operations on `bp` when imported, and imports `bp` from here (never the other way round)."""
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
    app.register_error_handler(HTTPException, _app_http)
