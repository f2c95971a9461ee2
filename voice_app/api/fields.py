"""The value types of /api/v1 requests: each carries its bounds into validation and into the
OpenAPI description at once.

Ids are bounded by the column that holds them (INTEGER: 1 … 2³¹-1; the event tables'
BIGINT: 1 … 2⁶³-1), so a larger id is a 422 naming its field before the database sees it.
Text is trimmed and never holds the NUL character (which PostgreSQL refuses); a required text
that is empty once trimmed is missing, an optional one is absent.  Query values arrive as
text: a query integer is digits only (`QueryId`, `QUERY_INT`).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from voice_app.api.periods import parse_day
from voice_app.api.problems import json_type, problem
from workers_db.errors import FieldProblem

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: companies, sites, workers, exceptions, …
MAX_BIG_ID = 2**63 - 1  # PostgreSQL BIGINT: events
MAX_TEXT = 200
MAX_LIST = 20
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold the NUL character

# Bodies: JSON types exactly ("2" is not a number, 1 is not a string), nothing unknown.
BODY = ConfigDict(strict=True, extra="forbid")
# Queries: every value is text; each type below says how it reads.
QUERY = ConfigDict(extra="ignore")


def raise_problem(found: FieldProblem) -> None:
    """Hand a problem found by a validator to `declare`, which names its field."""
    raise PydanticCustomError("problem", "invalid value", {"problem": found})


def _strip_or_none(value: str) -> str | None:
    value = value.strip()
    return value or None


def _strip_required(value: str) -> str:
    value = value.strip()
    if not value:
        raise_problem(problem("", "required"))
    return value


def _day(raw: Any) -> date | Any:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise_problem(problem("", "not_string", {"got": json_type(raw)}))
    problems: list[FieldProblem] = []
    value = parse_day(raw, "", problems)
    if problems:
        raise_problem(problems[0])
    return value


def _time(raw: Any) -> time | Any:
    if not isinstance(raw, str):
        raise_problem(problem("", "not_string", {"got": json_type(raw)}))
    try:
        parsed = time.fromisoformat(raw)
    except ValueError:
        raise_problem(FieldProblem("", "time.format", {"value": raw}))
    if parsed.tzinfo is not None:
        raise_problem(FieldProblem("", "time.no_offset"))
    return parsed


_DIGITS = re.compile(r"-?[0-9]{1,19}")


def _query_int(raw: Any) -> int | Any:
    if not isinstance(raw, str):
        return raw
    if not _DIGITS.fullmatch(raw):
        raise_problem(problem("", "not_whole_number", {"value": raw}))
    return int(raw)


STRIP = AfterValidator(_strip_or_none)
REQUIRED = AfterValidator(_strip_required)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
BigId = Annotated[int, Field(ge=1, le=MAX_BIG_ID)]
Text = Annotated[str, Field(max_length=MAX_TEXT, pattern=NO_NUL), REQUIRED]
OptText = Annotated[str, Field(max_length=MAX_TEXT, pattern=NO_NUL), STRIP]
Day = Annotated[date, BeforeValidator(_day), Field(json_schema_extra={"format": "date"})]
LocalTime = Annotated[
    time, BeforeValidator(_time), Field(json_schema_extra={"examples": ["08:00", "17:30"]})
]
TextList = Annotated[list[Annotated[str, Field(pattern=NO_NUL)]], Field(max_length=MAX_LIST)]

QUERY_INT = BeforeValidator(_query_int)
QueryId = Annotated[int, Field(ge=1, le=MAX_ID), QUERY_INT]
