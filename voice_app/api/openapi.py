"""`GET /api/v1/openapi.json`: the OpenAPI 3 description of /api/v1 (`openapi.json` beside
this module), served without a token so that clients and fuzzers (schemathesis) can read it.

The file is kept by hand; `tests/test_abuse_openapi.py` fails when a route under /api/v1 is
missing from it or a documented path has no route.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from flask import Response
from flask.typing import ResponseReturnValue

from voice_app.api import bp

SPEC_FILE = "openapi.json"


@cache
def spec_bytes() -> bytes:
    return files("voice_app.api").joinpath(SPEC_FILE).read_bytes()


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return Response(spec_bytes(), 200, mimetype="application/json")
