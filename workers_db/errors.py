"""Errors as codes with parameters (docs/errors.md).

A problem is never English text: it is a code of the catalogue (`workers_db.messages`) and
the values its message names.  Each surface renders it in its reader's language: the API's
422 `{"field", "message"}`, the admin UI next to the field, the CLI as `row N: column: problem`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field

from workers_db.messages import DEFAULT_LANG, Param, render

Params = Mapping[str, Param]


@dataclass(frozen=True)
class FieldProblem:
    """`field` is the request's or form's field name (None: the request as a whole)."""

    field: str | None
    code: str
    params: Params = _field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.field, self.code, tuple(sorted(self.params.items()))))

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return render(self, lang)

    def as_json(self, lang: str = DEFAULT_LANG) -> dict[str, str | None]:
        return {"field": self.field, "message": render(self, lang)}


class ValidationFailed(ValueError):
    """One or more fields are wrong; nothing was written."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.text()}" for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, field: str | None, code: str, params: Params | None = None) -> ValidationFailed:
        return cls([FieldProblem(field, code, params or {})])


class Coded(Exception):
    """An exception that is a catalogue code with parameters; `str()` is its English text."""

    def __init__(self, code: str, params: Params | None = None) -> None:
        self.code = code
        self.params: Params = params or {}
        super().__init__(render(self, DEFAULT_LANG))

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return render(self, lang)

    def problem(self, field: str | None) -> FieldProblem:
        """The same problem, as a problem of `field`."""
        return FieldProblem(field, self.code, self.params)


class CodedError(Coded, ValueError):
    """A value that cannot be taken (a parser's refusal, a file that cannot be read)."""


class NotFound(Coded, LookupError):
    """An id names no row, or a row whose very existence the caller may not learn (the API
    answers 404, the admin UI its 404 page).  `field` names the body field that held the id."""

    def __init__(
        self, code: str = "not_found", params: Params | None = None, field: str | None = None
    ) -> None:
        super().__init__(code, params)
        self.field = field


class Unauthorized(Coded, PermissionError):
    """The request carries no valid credentials (the API answers 401)."""


class Unavailable(Coded, RuntimeError):
    """A service the request needs does not answer (the API answers 503); nothing was done."""


class Forbidden(Coded, PermissionError):
    """The row exists but is outside the caller's scope (the API answers 403, the admin UI
    its 403 page); nothing was written."""
