"""Errors that name the field and the problem; the API turns them into 422 bodies, the CLI
into `row N: column: problem` lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ValidationFailed(ValueError):
    """One or more fields are wrong; nothing was written."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, message)])


class NotFound(LookupError):
    """An id names no row, or a row whose very existence the caller may not learn (the API
    answers 404, the admin UI its 404 page).  `field` names the body field that held the id."""

    def __init__(self, message: str = "not found", field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Forbidden(PermissionError):
    """The row exists but is outside the caller's scope (the API answers 403, the admin UI
    its 403 page); nothing was written."""
