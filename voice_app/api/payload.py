"""Reading a JSON request body field by field, strictly, collecting every problem.

A string where a number is expected (or the reverse), a number where a list is expected, a
field the endpoint does not know, a body that is not a JSON object: each becomes one
`{"field", "message"}` of the 422 answer, so a client never has a value silently dropped.
An empty body is an empty object (every required field is then reported missing).

Messages come from the error catalogue (docs/errors.md) in the client's language: English,
or Japanese when `Accept-Language` prefers `ja`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import request

from voice_app.api.problems import json_type as _json_type
from workers_db.errors import FieldProblem, Params, ValidationFailed
from workers_db.messages import DEFAULT_LANG, LANGS

MAX_TEXT = 200
MAX_LIST = 20


class Payload:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[FieldProblem] = []
        self._read: set[str] = set()

    @classmethod
    def from_request(cls) -> Payload:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return cls({})
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed.one("body", "body.not_json", {"detail": str(exc)}) from exc
        if not isinstance(data, dict):
            raise ValidationFailed.one("body", "body.not_object")
        return cls(data)

    def _get(self, name: str, required: bool) -> Any:
        self._read.add(name)
        value = self.data.get(name)
        if value is None and required:
            self.problem(name, "required")
        return value

    def problem(self, name: str, code: str, params: Params | None = None) -> None:
        self.problems.append(FieldProblem(name, code, params or {}))

    def text(self, name: str, required: bool = False, max_length: int = MAX_TEXT) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(name, "not_string", {"got": _json_type(value)})
            return None
        value = value.strip()
        if not value:
            if required:
                self.problem(name, "required")
            return None
        if len(value) > max_length:
            self.problem(name, "too_long", {"max": max_length})
            return None
        return value

    def identifier(self, name: str, required: bool = False) -> str | None:
        """Digits that must stay a string (site codes, CCUS ids, PINs keep leading zeros)."""
        value = self.data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._read.add(name)
            self.problem(name, "digits_as_string")
            return None
        return self.text(name, required)

    def integer(
        self,
        name: str,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, "not_integer", {"got": _json_type(value)})
            return None
        if minimum is not None and value < minimum:
            self.problem(name, "at_least", {"min": minimum})
            return None
        if maximum is not None and value > maximum:
            self.problem(name, "at_most", {"max": maximum})
            return None
        return value

    def number(self, name: str, required: bool = False) -> float | None:
        """A JSON number (a rate such as 0.85); a string or true/false is a problem."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(name, "not_number", {"got": _json_type(value)})
            return None
        return float(value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(name, "not_boolean", {"got": _json_type(value)})
            return default
        return value

    def text_list(self, name: str, max_items: int = MAX_LIST) -> list[str]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(name, "not_string_list", {"got": _json_type(value)})
            return []
        if len(value) > max_items:
            self.problem(name, "too_many_items", {"max": max_items})
            return []
        out: list[str] = []
        for position, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(f"{name}[{position}]", "not_string", {"got": _json_type(item)})
            else:
                out.append(item)
        return out

    def day(self, name: str, required: bool = False) -> date | None:
        text = self.text(name, required, max_length=10)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(name, "date.format", {"value": text})
            return None

    def check(self) -> None:
        """Raise every problem at once, including fields this endpoint does not know."""
        for name in sorted(set(self.data) - self._read):
            known = ", ".join(sorted(self._read))
            self.problem(name, "unknown_field", {"known": known})
        if self.problems:
            raise ValidationFailed(self.problems)


def query_int(name: str, required: bool = False) -> int | None:
    """An integer query parameter; anything else is a 422 naming the parameter."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        if required:
            raise ValidationFailed.one(name, "required")
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed.one(name, "not_whole_number", {"value": raw}) from None


def request_lang() -> str:
    """The language of the API's messages: the first of the client's `Accept-Language`
    preferences (by quality) that the catalogue has, else English."""
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in LANGS:
            return primary
    return DEFAULT_LANG
