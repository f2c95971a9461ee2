"""Reading a JSON request body field by field, strictly, collecting every problem.

A string where a number is expected (or the reverse), a number where a list is expected, a
field the endpoint does not know, a body that is not a JSON object: each becomes one
`{"field", "message"}` of the 422 answer, so a client never has a value silently dropped.
An empty body is an empty object (every required field is then reported missing).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import request

from workers_db.errors import FieldProblem, ValidationFailed

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
            raise ValidationFailed.one("body", f"not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValidationFailed.one("body", "must be a JSON object {...}")
        return cls(data)

    def _get(self, name: str, required: bool) -> Any:
        self._read.add(name)
        value = self.data.get(name)
        if value is None and required:
            self.problem(name, "required")
        return value

    def problem(self, name: str, message: str) -> None:
        self.problems.append(FieldProblem(name, message))

    def text(self, name: str, required: bool = False, max_length: int = MAX_TEXT) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(name, f"must be a string, not {_json_type(value)}")
            return None
        value = value.strip()
        if not value:
            if required:
                self.problem(name, "required")
            return None
        if len(value) > max_length:
            self.problem(name, f"at most {max_length} characters")
            return None
        return value

    def identifier(self, name: str, required: bool = False) -> str | None:
        """Digits that must stay a string (site codes, CCUS ids, PINs keep leading zeros)."""
        value = self.data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._read.add(name)
            self.problem(name, "must be a string (write the digits in quotes)")
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
            self.problem(name, f"must be a whole number, not {_json_type(value)}")
            return None
        if minimum is not None and value < minimum:
            self.problem(name, f"must be at least {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.problem(name, f"must be at most {maximum}")
            return None
        return value

    def number(self, name: str, required: bool = False) -> float | None:
        """A JSON number (a rate such as 0.85); a string or true/false is a problem."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(name, f"must be a number, not {_json_type(value)}")
            return None
        return float(value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(name, f"must be true or false, not {_json_type(value)}")
            return default
        return value

    def text_list(self, name: str, max_items: int = MAX_LIST) -> list[str]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(name, f"must be a list of strings, not {_json_type(value)}")
            return []
        if len(value) > max_items:
            self.problem(name, f"at most {max_items} items")
            return []
        out: list[str] = []
        for position, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(f"{name}[{position}]", f"must be a string, not {_json_type(item)}")
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
            self.problem(name, f"{text!r} is not a date YYYY-MM-DD")
            return None

    def check(self) -> None:
        """Raise every problem at once, including fields this endpoint does not know."""
        for name in sorted(set(self.data) - self._read):
            known = ", ".join(sorted(self._read))
            self.problem(name, f"unknown field (this endpoint takes: {known})")
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
        raise ValidationFailed.one(name, f"{raw!r} is not a whole number") from None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
