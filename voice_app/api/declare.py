"""Declaring an /api/v1 operation once: its route, token, query, body and answers.

`@operation(...)` registers the view on the blueprint and records an `Operation`; the same
record validates the request (pydantic models, strict) and builds the OpenAPI description
(`voice_app.api.openapi`).  A route under /api/v1 that is not declared this way fails
`tests/test_api_description.py`.

Validation keeps the API's strict reading of input: a field the endpoint does not know, a
value of the wrong JSON type, a number out of its bounds — each is one `{"field", "message"}`
of a 422, and every problem of the request is listed at once.  The query is checked before
the body, both after the token (401/403 come first) and before any database work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from voice_app.api import bp
from voice_app.api.auth import require_token
from voice_app.api.fields import MAX_ID
from voice_app.api.problems import json_type, problem
from workers_db.errors import FieldProblem, ValidationFailed

F = TypeVar("F", bound=Callable[..., Any])
OPERATIONS: list[Operation] = []


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: the answer of this operation feeds `operation_id`'s parameter (path or
    query) or body field `target` with the answer's field `source`."""

    name: str
    operation_id: str
    target: str
    source: str = "id"
    in_body: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask's rule, e.g. /workers/<int:worker_id>
    operation_id: str
    summary: str
    roles: tuple[str, ...]
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    answers: dict[int, tuple[str, Any]] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    path_max: dict[str, int] = field(default_factory=dict)  # a path id's bound, if not MAX_ID
    description: str = ""

    @property
    def device(self) -> bool:
        return self.roles == ("device",)


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    roles: tuple[str, ...],
    tag: str,
    answers: dict[int, tuple[str, Any]],
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    links: tuple[Link, ...] = (),
    path_max: dict[str, int] | None = None,
    description: str = "",
) -> Callable[[F], F]:
    """Register `view` for `method rule` behind `require_token(*roles)`; the view is called
    with `query=` and/or `body=` (validated model instances) besides its path arguments."""

    def decorator(view: F) -> F:
        op = Operation(
            method=method.upper(),
            rule=rule,
            operation_id=view.__name__,
            summary=summary,
            roles=roles,
            tag=tag,
            query=query,
            body=body,
            answers=answers,
            links=links,
            path_max=path_max or {},
            description=description or (view.__doc__ or "").strip(),
        )

        @wraps(view)
        def parsed(*args: Any, **kwargs: Any) -> Any:
            problems = [
                _path_problem(name, value, (path_max or {}).get(name, MAX_ID))
                for name, value in kwargs.items()
                if isinstance(value, int) and not 1 <= value <= (path_max or {}).get(name, MAX_ID)
            ]
            if query is not None:
                kwargs["query"] = _validate(query, _query_data(query), problems)
            if body is not None:
                kwargs["body"] = _validate(body, _body_data(), problems)
            if problems:
                raise ValidationFailed(problems)
            return view(*args, **kwargs)

        bp.add_url_rule(
            rule, endpoint=view.__name__, view_func=require_token(*roles)(parsed), methods=[method]
        )
        OPERATIONS.append(op)
        return view

    return decorator


def answer(value: BaseModel | list[Any], status: int = 200) -> tuple[Response, int]:
    """A declared answer (a model or a list of models) as JSON."""
    if isinstance(value, list):
        data: Any = [v.model_dump(mode="json", by_alias=True) for v in value]
    else:
        data = value.model_dump(mode="json", by_alias=True)
    return jsonify(data), status


# ---------------------------------------------------------------- reading the request


def _path_problem(name: str, value: int, maximum: int) -> FieldProblem:
    if value < 1:
        return problem(name, "at_least", {"min": 1})
    return problem(name, "at_most", {"max": maximum})


def _query_data(model: type[BaseModel]) -> dict[str, str]:
    """The query parameters the model declares (others are ignored, as HTTP clients add their
    own); a parameter given twice is read once, the first."""
    names = {f.alias or name for name, f in model.model_fields.items()}
    return {name: value for name, value in request.args.items() if name in names}


def _body_data() -> Any:
    if request.mimetype and not (
        request.mimetype == "application/json" or request.mimetype.endswith("+json")
    ):
        raise UnsupportedMediaType("send the body as application/json")
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed([problem("body", "body.not_json", {"detail": str(exc)})]) from exc
    if not isinstance(data, dict):
        raise ValidationFailed([problem("body", "body.not_object")])
    return data


def _validate(model: type[BaseModel], data: Any, problems: list[FieldProblem]) -> Any:
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(model, exc))
        return None
    check = getattr(value, "problems", None)
    if check is not None:
        problems.extend(check())
    return value


def _problems(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    known = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items()))
    out = [_problem(model, err, known) for err in exc.errors()]
    return sorted(out, key=lambda p: p.field or "")


def _field_name(loc: tuple[Any, ...]) -> str:
    name = str(loc[0]) if loc else "body"
    for part in loc[1:]:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name


def _problem(model: type[BaseModel], err: Any, known: str) -> FieldProblem:
    kind: str = err["type"]
    loc: tuple[Any, ...] = tuple(err["loc"])
    # A `Before`/`After` validator's own problem (a day, a time, a choice): as it was raised.
    if kind == "problem":
        return replace(err["ctx"]["problem"], field=_field_name(loc))
    name = _field_name(loc)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return problem(name, "required")
    if kind == "extra_forbidden":
        return problem(name, "unknown_field", {"known": known})
    if kind == "string_type":
        digits = isinstance(value, int | float) and not isinstance(value, bool)
        if digits and _is_digits_field(model, loc):
            return problem(name, "digits_as_string")
        return problem(name, "not_string", {"got": json_type(value)})
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return problem(name, "not_integer", {"got": json_type(value)})
    if kind == "bool_type":
        return problem(name, "not_boolean", {"got": json_type(value)})
    if kind == "list_type":
        return problem(name, "not_list", {"got": json_type(value)})
    if kind == "string_pattern_mismatch":
        return problem(name, "nul_character")
    if kind == "string_too_long":
        return problem(name, "too_long", {"max": ctx.get("max_length")})
    if kind == "too_long":
        return problem(name, "too_many_items", {"max": ctx.get("max_length")})
    if kind == "greater_than_equal":
        return problem(name, "at_least", {"min": ctx.get("ge")})
    if kind == "less_than_equal":
        return problem(name, "at_most", {"max": ctx.get("le")})
    if kind == "literal_error":
        return problem(name, "use_one_of", {"choices": str(ctx.get("expected", ""))})
    if kind in ("dict_type", "model_type"):
        return problem(name, "not_object", {"got": json_type(value)})
    return problem(name, "invalid")


def _is_digits_field(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    """Digits that must stay a string (site codes, CCUS ids, PINs keep leading zeros): the
    model names them in `DIGITS`, and a JSON number there gets its own message."""
    return len(loc) == 1 and loc[0] in getattr(model, "DIGITS", ())
