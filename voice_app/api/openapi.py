"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 description of /api/v1, generated from the
declared operations (`voice_app.api.declare`) and their pydantic models, and served without
a token so that clients and fuzzers (schemathesis) can read it.

Every operation lists each status it can answer with its JSON shape (errors are always
`{"errors": [{"field", "message"}]}`), the token it takes (`roleToken` or `deviceToken`), the
bounds of every integer, and links from the operations that create a row to the ones that
read or use it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, get_args, get_origin

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from voice_app.api import bp
from voice_app.api.answers import Errors
from voice_app.api.declare import OPERATIONS, Operation
from voice_app.api.fields import MAX_ID

REF = "#/components/schemas/{model}"
JSON = "application/json"
_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERRORS = {
    401: "no token, or an unknown or revoked one",
    403: "the token's role or scope does not allow this",
    404: "an unknown id, or one outside the token's scope",
    413: "the body is larger than this operation takes",
    415: "the body is not application/json",
    422: "bad input: every problem, each naming its field",
    500: "an unexpected error (nothing was written)",
}
SECURITY = {
    "roleToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "a person's token: `genba-call create-token --role admin|prime_admin|site_admin|"
            "company_admin`; each operation names the roles it takes (`x-roles`)"
        ),
    },
    "deviceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a card reader's token (role `device`, bound to one site)",
    },
}


_SELF = {
    "operationId": "openapi_json",
    "summary": "this description",
    "tags": ["description"],
    "security": [],
    "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {}}}}},
}


def openapi_path(rule: str) -> str:
    return "/api/v1" + _PATH_PARAM.sub(r"{\2}", rule)


def _models() -> tuple[list[type[BaseModel]], list[type[BaseModel]]]:
    inputs: list[type[BaseModel]] = []
    outputs: list[type[BaseModel]] = [Errors]
    for op in OPERATIONS:
        if op.body is not None and op.body not in inputs:
            inputs.append(op.body)
        for _, shape in op.answers.values():
            model = _inner(shape)
            if model is not None and model not in outputs:
                outputs.append(model)
    return inputs, outputs


def _inner(shape: Any) -> type[BaseModel] | None:
    if get_origin(shape) is list:
        return _inner(get_args(shape)[0])
    return shape if isinstance(shape, type) and issubclass(shape, BaseModel) else None


def _schema_of(shape: Any) -> dict[str, Any]:
    if get_origin(shape) is list:
        return {"type": "array", "items": _schema_of(get_args(shape)[0])}
    return {"$ref": REF.format(model=shape.__name__)}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for converter, name in _PATH_PARAM.findall(op.rule):
        maximum = op.path_max.get(name, MAX_ID)
        schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": maximum}
        if converter != "int":
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = _not_null(prop)
            description = prop.pop("description", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    return params


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: `anyOf [X, null]` is X."""
    options = schema.get("anyOf")
    if options is None:
        return dict(schema)
    kept = [o for o in options if o.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest} if len(kept) == 1 else dict(schema)


def _responses(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, (description, shape) in sorted(op.answers.items()):
        entry: dict[str, Any] = {"description": description}
        if shape is not None:
            entry["content"] = {JSON: {"schema": _schema_of(shape)}}
        if status < 300 and op.links:
            entry["links"] = {link.name: _link(link) for link in op.links}
        out[str(status)] = entry
    statuses = [401, 403, 404, 422, 500]
    if op.body is not None:
        statuses += [413, 415]
    for status in sorted(statuses):
        if str(status) not in out:
            out[str(status)] = {
                "description": _ERRORS[status],
                "content": {JSON: {"schema": _schema_of(Errors)}},
            }
    return out


def _link(link: Any) -> dict[str, Any]:
    value = f"$response.body#/{link.source}"
    if link.in_body:
        return {"operationId": link.operation_id, "requestBody": {link.target: value}}
    return {"operationId": link.operation_id, "parameters": {link.target: value}}


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "security": [{"deviceToken" if op.device else "roleToken": []}],
        "x-roles": list(op.roles),
        "parameters": _parameters(op),
        "responses": _responses(op),
    }
    if op.description:
        doc["description"] = op.description
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _schema_of(op.body)}},
        }
    return doc


@cache
def document() -> dict[str, Any]:
    inputs, outputs = _models()
    _, defs = models_json_schema(
        [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs],
        ref_template=REF,
    )
    paths: dict[str, dict[str, Any]] = {
        "/api/v1/openapi.json": {"get": _SELF},
    }
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "genba-call API",
            "version": "1",
            "description": "JSON everywhere under /api/v1 (docs/api.md).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {}), "securitySchemes": SECURITY},
    }


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(document())
