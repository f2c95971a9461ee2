"""Dates and date ranges in query strings and bodies, checked the same way everywhere:
`YYYY-MM-DD` exactly, `from` not after `to`, at most 366 days; each problem names its field."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from workers_db.errors import FieldProblem

MAX_RANGE_DAYS = 366
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(raw: object, name: str, problems: list[FieldProblem]) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(FieldProblem(name, "date.required"))
        return None
    if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
        problems.append(FieldProblem(name, "date.format", {"value": str(raw)}))
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(FieldProblem(name, "date.unreal", {"value": raw}))
        return None


def check_range(
    first: date | None,
    last: date | None,
    problems: list[FieldProblem],
    from_name: str = "from",
    to_name: str = "to",
) -> None:
    if first is None or last is None:
        return
    if last < first:
        problems.append(
            FieldProblem(
                to_name,
                "date.range_reversed",
                {
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "from_name": from_name,
                    "to_name": to_name,
                },
            )
        )
    elif (last - first).days + 1 > MAX_RANGE_DAYS:
        problems.append(FieldProblem(to_name, "date.range_too_long", {"days": MAX_RANGE_DAYS}))


def iso_local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset of GENBA_TZ (what a site office reads)."""
    return None if moment is None else moment.astimezone(tz).isoformat()
