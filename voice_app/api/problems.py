"""One problem of a request, as a code of the error catalogue with its parameters
(workers_db.messages renders it in the client's language), and the JSON names of types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers_db.errors import FieldProblem


def problem(field: str, code: str, params: Mapping[str, Any] | None = None) -> FieldProblem:
    """A parameter that pydantic could not tell (None) is left out."""
    return FieldProblem(field, code, {k: v for k, v in (params or {}).items() if v is not None})


def json_type(value: Any) -> str:
    """The JSON name of a value's type (the same word in every language)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__
