"""What each /api/v1 operation takes: its body or its query, declared once (pydantic).

`voice_app.api.declare` validates requests with these models and the OpenAPI description is
generated from them.  A body field that is optional may also be `null` (the same as absent).
Rules that need the database (an id that names no row, a phone already registered) stay with
the operation in workers_db.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from voice_app.api.fields import (
    BODY,
    MAX_BIG_ID,
    MAX_ID,
    MAX_TEXT,
    NO_NUL,
    QUERY,
    QUERY_INT,
    REQUIRED,
    STRIP,
    Day,
    Id,
    LocalTime,
    OptText,
    QueryId,
    Text,
    TextList,
)
from voice_app.api.periods import check_range
from workers_db.errors import FieldProblem
from workers_db.limits import MAX_BATCH
from workers_db.models import EXCEPTION_KINDS
from workers_db.targets import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR

MAX_NOTE = 500
MAX_MANUAL_AGE_DAYS = 366
MAX_WORKERS_PAGE = 10_000
MAX_EXCEPTIONS = 1000
ExceptionKind = Literal[EXCEPTION_KINDS]  # type: ignore[valid-type]


class Body(BaseModel):
    model_config = BODY
    DIGITS: ClassVar[tuple[str, ...]] = ()


class Query(BaseModel):
    model_config = QUERY


class _Range:
    """`from` and `to` (`YYYY-MM-DD`): `from` ≤ `to`, at most MAX_RANGE_DAYS days."""

    date_from: date
    date_to: date

    def problems(self) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        check_range(self.date_from, self.date_to, found)
        return found


class DateRange(_Range, Query):
    date_from: Day = Field(alias="from")
    date_to: Day = Field(alias="to")


# ---------------------------------------------------------------- registry


class CompanyIn(Body):
    DIGITS = ("ccus_business_id",)
    name: Text
    name_kana: OptText | None = None
    ccus_business_id: OptText | None = Field(None, description="事業者ID, 14 digits")
    sole_proprietor: bool | None = None


class SiteIn(Body):
    DIGITS = ("site_code", "ccus_site_id")
    name: Text
    site_code: Text = Field(description="4 to 8 digits, as a string")
    prime_company_id: Id | None = Field(
        None, description="required for an admin token; a prime_admin's own company by default"
    )
    dial_in_number: Annotated[str, Field(max_length=40, pattern=NO_NUL), STRIP] | None = None
    ccus_site_id: OptText | None = None
    contract_amount_yen: Annotated[int, Field(ge=0, le=MAX_BIG_ID)] | None = None
    answer_mode: Literal["confirm", "reject"] | None = None
    model_works: bool | None = None


class SiteCompanyIn(Body):
    site_id: Id
    company_id: Id
    parent_company_id: Id | None = None
    tier: Annotated[int, Field(ge=1, le=9)] | None = Field(None, description="1 = 一次")


class WorkerIn(Body):
    DIGITS = ("ccus_worker_id", "pin")
    name: Text
    company_id: Id
    name_kana: OptText | None = None
    ccus_worker_id: OptText | None = Field(None, description="技能者ID, 14 digits")
    phones: TextList | None = None
    card_uids: TextList | None = None
    language: Annotated[str, Field(max_length=8, pattern=NO_NUL), STRIP] | None = None
    pin: OptText | None = Field(None, description="4 to 8 digits, as a string")
    kentaikyo: bool | None = None
    card_level: Annotated[int, Field(ge=1, le=4)] | None = None


class WorkersQuery(Query):
    company_id: QueryId | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_WORKERS_PAGE), QUERY_INT] = 1000
    offset: Annotated[int, Field(ge=0, le=MAX_ID), QUERY_INT] = 0


class RosterIn(Body):
    site_id: Id
    worker_id: Id
    work_date: Day = Field(description="not in the future")


# ---------------------------------------------------------------- records


class EventsQuery(Query):
    site_id: QueryId
    day: Day = Field(alias="date")


class WorkRecordsQuery(DateRange):
    site_id: QueryId


class ManualEntryIn(Body):
    site_id: Id
    worker_id: Id
    work_date: Day = Field(description=f"not in the future, at most {MAX_MANUAL_AGE_DAYS} days ago")
    time: LocalTime | None = Field(None, description="local time HH:MM (noon if absent)")
    note: Annotated[str, Field(max_length=MAX_NOTE, pattern=NO_NUL), REQUIRED]

    def problems(self) -> list[FieldProblem]:
        from voice_app.extensions import settings

        today = datetime.now(settings().tz).date()
        if self.work_date > today:
            return [FieldProblem("work_date", "date.future", {"day": self.work_date.isoformat()})]
        if (today - self.work_date).days > MAX_MANUAL_AGE_DAYS:
            return [FieldProblem("work_date", "date.too_old", {"days": MAX_MANUAL_AGE_DAYS})]
        return []


# ---------------------------------------------------------------- review


class ExceptionsQuery(Query):
    site_id: QueryId | None = None
    status: Literal["open", "resolved"] | None = None
    kind: ExceptionKind | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_EXCEPTIONS), QUERY_INT] = 200


class ResolveIn(Body):
    reason_code: Annotated[str, Field(max_length=40, pattern=NO_NUL), REQUIRED]
    note: Annotated[str, Field(max_length=1000, pattern=NO_NUL), STRIP] | None = None


class ReconcileIn(_Range, Body):
    site_id: Id | None = Field(None, description="every site in the token's scope if absent")
    date_from: Day = Field(alias="from")
    date_to: Day = Field(alias="to")


class StatsQuery(DateRange):
    site_id: QueryId | None = None
    prime_company_id: QueryId | None = None
    series: Literal["day", "month", "fiscal_year"] | None = None


# ---------------------------------------------------------------- documents and targets


class AttendanceQuery(Query):
    site_id: QueryId
    month: Annotated[str, Field(max_length=MAX_TEXT, description="YYYY-MM")]


class TargetsQuery(Query):
    prime_company_id: QueryId | None = Field(None, description="a prime_admin's own by default")
    fiscal_year: Annotated[int, Field(ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR), QUERY_INT] | None = (
        None
    )


# ---------------------------------------------------------------- touches


class TouchesIn(Body):
    events: Annotated[list[Any], Field(max_length=MAX_BATCH)] = Field(
        description=(
            "touch events `{event_id, card_uid, occurred_at, seq?, clock_synced?}`; each is "
            "checked on its own and a bad one is listed in `rejected` of the answer"
        )
    )
    site_id: int | None = Field(None, description="if given, the device token's site")
    site_code: Annotated[str, Field(pattern=NO_NUL)] | int | None = Field(
        None, description="if given, the device token's site"
    )
