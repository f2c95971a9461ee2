"""The figures prime contractors are measured by, exactly as docs/figures.md defines them.

Public functions (the API, the CLI, the admin UI and the reports use these; keep them stable):

- `compute_stats(session, *, site_id=None, prime_company_id=None, company_id=None,
  date_from, date_to, tz, now=None) -> dict`: one scope (a site, every site of a prime, or
  every site when both are None; `company_id` narrows to one employer's workers) over work
  dates `date_from`..`date_to` inclusive.  Keys at the top level are the figures' names
  (`workers_on_site`, `worker_registration_rate`, `companies_on_site`,
  `company_registration_rate`, `worker_days`, `work_history_count`, `accumulation_rate`,
  `card_holder_touch_rate`, `kentaikyo_yen`) plus `card_levels`, `companies`, `sites`,
  `model_works`, `readiness`, `fiscal_year`, `target` (the prime's 新目標, None unless set)
  and `site_target` (a site's notified figures, None unless set); docs/figures.md
  and docs/documents.md describe every key.
- `daily_series(...)`: the same figures per work date (for charts), every date present.
- `period_series(..., period="month" | "fiscal_year")`: per calendar month or fiscal year.

Counts come from SQL aggregates over `work_records`; rates are computed here from the integer
counts (count / count, None when the denominator is 0), so every caller gets the same digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import Session

from jobs.stats_context import (
    fiscal_year_of,
    fiscal_year_range,
    month_range,
    rate,
    readiness,
    site_info,
    site_target_standing,
    target_progress,
    tiers,
)
from workers_db.models import Company, Site, Worker, WorkRecord, utcnow
from workers_db.targets import site_targets
from workers_db.worker_month import KENTAIKYO_YEN_PER_DAY

# MLIT model works (国交省 CCUS モデル工事): figure → (target, score deduction below).
MLIT_TARGETS: dict[str, tuple[float, float]] = {
    "worker_registration_rate": (0.9, 0.7),
    "company_registration_rate": (0.8, 0.6),
    "accumulation_rate": (0.5, 0.3),
}
CARD_LEVELS: dict[int | None, tuple[str, str]] = {
    1: ("白 (レベル1)", "white (level 1)"),
    2: ("青 (レベル2)", "blue (level 2)"),
    3: ("銀 (レベル3)", "silver (level 3)"),
    4: ("金 (レベル4)", "gold (level 4)"),
    None: ("未判定", "not assessed"),
}
DOMAIN_KEYS = (
    "workers_on_site",
    "worker_registration_rate",
    "companies_on_site",
    "company_registration_rate",
    "worker_days",
    "work_history_count",
    "accumulation_rate",
    "card_holder_touch_rate",
    "kentaikyo_yen",
)
_COUNT_KEYS = (
    "worker_days",
    "work_history_count",
    "card_holder_worker_days",
    "kentaikyo_worker_days",
    "workers_on_site",
    "registered_workers",
    "companies_on_site",
    "registered_companies",
)


__all__ = [
    "compute_stats",
    "daily_series",
    "fiscal_year_of",
    "fiscal_year_range",
    "month_range",
    "period_series",
    "rate",
]


def scope_filter(
    site_id: int | None, prime_company_id: int | None, company_id: int | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if site_id is not None:
        conditions.append(WorkRecord.site_id == site_id)
    if prime_company_id is not None:
        conditions.append(
            WorkRecord.site_id.in_(select(Site.id).where(Site.prime_company_id == prime_company_id))
        )
    if company_id is not None:
        conditions.append(Worker.company_id == company_id)
    return conditions


def _counts(
    session: Session,
    conditions: Sequence[ColumnElement[bool]],
    first: date,
    last: date,
    group: Any = None,
) -> list[dict[str, Any]]:
    registered = Worker.ccus_worker_id.is_not(None)
    firm = Company.sole_proprietor.is_(False)
    columns = [
        func.count().label("worker_days"),
        func.sum(case((WorkRecord.countable, 1), else_=0)).label("work_history_count"),
        func.sum(case((registered, 1), else_=0)).label("card_holder_worker_days"),
        func.sum(case((and_(WorkRecord.countable, Worker.kentaikyo), 1), else_=0)).label(
            "kentaikyo_worker_days"
        ),
        func.count(distinct(WorkRecord.worker_id)).label("workers_on_site"),
        func.count(distinct(case((registered, WorkRecord.worker_id)))).label("registered_workers"),
        func.count(distinct(case((firm, Company.id)))).label("companies_on_site"),
        func.count(
            distinct(case((and_(firm, Company.ccus_business_id.is_not(None)), Company.id)))
        ).label("registered_companies"),
    ]
    query = (
        select(*([group.label("key")] if group is not None else []), *columns)
        .select_from(WorkRecord)
        .join(Worker, Worker.id == WorkRecord.worker_id)
        .join(Company, Company.id == Worker.company_id)
        .where(WorkRecord.work_date.between(first, last), *conditions)
    )
    if group is not None:
        query = query.group_by(group).order_by(group)
    rows = []
    for row in session.execute(query).mappings():
        item = {k: int(row[k] or 0) for k in _COUNT_KEYS}
        if group is not None:
            item["key"] = row["key"]
        rows.append(item)
    return rows


def figures(counts: dict[str, Any]) -> dict[str, Any]:
    """The figures from the integer counts, plus the counts they come from."""
    return {
        "workers_on_site": counts["workers_on_site"],
        "worker_registration_rate": rate(counts["registered_workers"], counts["workers_on_site"]),
        "companies_on_site": counts["companies_on_site"],
        "company_registration_rate": rate(
            counts["registered_companies"], counts["companies_on_site"]
        ),
        "worker_days": counts["worker_days"],
        "work_history_count": counts["work_history_count"],
        "accumulation_rate": rate(counts["work_history_count"], counts["worker_days"]),
        "card_holder_touch_rate": rate(
            counts["work_history_count"], counts["card_holder_worker_days"]
        ),
        "kentaikyo_yen": counts["kentaikyo_worker_days"] * KENTAIKYO_YEN_PER_DAY,
        "registered_workers": counts["registered_workers"],
        "registered_companies": counts["registered_companies"],
        "card_holder_worker_days": counts["card_holder_worker_days"],
        "kentaikyo_worker_days": counts["kentaikyo_worker_days"],
    }


_EMPTY = dict.fromkeys(_COUNT_KEYS, 0)


def mlit_standing(figs: dict[str, Any]) -> dict[str, Any]:
    """Standing against MLIT's model-works targets and the score-deduction floors."""
    out: dict[str, Any] = {}
    for key, (target, floor) in MLIT_TARGETS.items():
        value = figs[key]
        out[key] = {
            "value": value,
            "target": target,
            "meets_target": None if value is None else value >= target,
            "deduction_below": floor,
            "deduction": None if value is None else value < floor,
        }
    out["meets_all_targets"] = all(out[k]["meets_target"] is True for k in MLIT_TARGETS)
    out["any_deduction"] = any(out[k]["deduction"] is True for k in MLIT_TARGETS)
    return out


def compute_stats(
    session: Session,
    *,
    site_id: int | None = None,
    prime_company_id: int | None = None,
    company_id: int | None = None,
    date_from: date,
    date_to: date,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every figure of docs/figures.md for one scope and period (see the module docstring)."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    now = now or utcnow()
    where = scope_filter(site_id, prime_company_id, company_id)
    total = (_counts(session, where, date_from, date_to) or [_EMPTY])[0]
    result: dict[str, Any] = {
        "scope": {
            "kind": "site" if site_id is not None else "prime" if prime_company_id else "all",
            "site_id": site_id,
            "prime_company_id": prime_company_id,
            "company_id": company_id,
        },
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        **figures(total),
    }
    result["card_levels"] = _card_levels(session, where, date_from, date_to, total)
    result["companies"] = _companies(session, where, date_from, date_to, site_id, prime_company_id)
    result["sites"] = _sites(session, where, date_from, date_to)
    result["model_works"] = [
        {"site_id": s["site_id"], "site_code": s["site_code"], **s["mlit"]}
        for s in result["sites"]
        if s["model_works"]
    ]
    result["readiness"] = readiness(session, [s["site_id"] for s in result["sites"]], now, date_to)
    today = now.astimezone(tz).date()
    result["fiscal_year"] = fiscal_year_of(date_to)
    result["target"] = (
        target_progress(session, prime_company_id, date_to, today, result)
        if prime_company_id is not None
        else None
    )
    result["site_target"] = (
        site_target_standing(site_targets(session, [site_id]).get(site_id), result)
        if site_id is not None
        else None
    )
    return result


def _card_levels(
    session: Session,
    where: list[ColumnElement[bool]],
    first: date,
    last: date,
    total: dict[str, int],
) -> list[dict[str, Any]]:
    by_level = {r["key"]: r for r in _counts(session, where, first, last, Worker.card_level)}
    out = []
    for level, (ja, en) in CARD_LEVELS.items():
        counts = by_level.get(level, _EMPTY)
        out.append(
            {
                "level": level,
                "label_ja": ja,
                "label_en": en,
                "workers": counts["workers_on_site"],
                "share": rate(counts["workers_on_site"], total["workers_on_site"]),
                "work_history_count": counts["work_history_count"],
            }
        )
    return out


def _companies(
    session: Session,
    where: list[ColumnElement[bool]],
    first: date,
    last: date,
    site_id: int | None,
    prime_company_id: int | None,
) -> list[dict[str, Any]]:
    rows = _counts(session, where, first, last, Worker.company_id)
    ids = [r["key"] for r in rows]
    info = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(ids)))}
    tier = tiers(session, ids, site_id, prime_company_id)
    out = []
    for r in rows:
        company = info[r["key"]]
        out.append(
            {
                "company_id": company.id,
                "name": company.name,
                "ccus_registered": company.ccus_business_id is not None,
                "sole_proprietor": company.sole_proprietor,
                "tier": tier.get(company.id),
                **figures(r),
            }
        )
    return out


def _sites(
    session: Session, where: list[ColumnElement[bool]], first: date, last: date
) -> list[dict[str, Any]]:
    rows = _counts(session, where, first, last, WorkRecord.site_id)
    ids = [r["key"] for r in rows]
    info = site_info(session, ids)
    notified = site_targets(session, ids)
    out = []
    for r in rows:
        figs = figures(r)
        out.append(
            {
                **info[r["key"]],
                **figs,
                "mlit": mlit_standing(figs),
                "site_target": site_target_standing(notified.get(r["key"]), figs),
            }
        )
    return out


def daily_series(
    session: Session,
    *,
    site_id: int | None = None,
    prime_company_id: int | None = None,
    company_id: int | None = None,
    date_from: date,
    date_to: date,
) -> list[dict[str, Any]]:
    """One entry per work date from `date_from` to `date_to` (zeros on empty days):
    `{"date": "YYYY-MM-DD", **figures}`."""
    where = scope_filter(site_id, prime_company_id, company_id)
    by_day = {
        _as_date(r["key"]): r
        for r in _counts(session, where, date_from, date_to, WorkRecord.work_date)
    }
    out = []
    day = date_from
    while day <= date_to:
        out.append({"date": day.isoformat(), **figures(by_day.get(day, _EMPTY))})
        day += timedelta(days=1)
    return out


def period_series(
    session: Session,
    *,
    site_id: int | None = None,
    prime_company_id: int | None = None,
    company_id: int | None = None,
    date_from: date,
    date_to: date,
    period: str = "month",
) -> list[dict[str, Any]]:
    """Figures per calendar month (`"month"`) or fiscal year (`"fiscal_year"`) overlapping
    the range, each cut to the range: `{"period": "2025-04" | "FY2025", "from", "to", …}`."""
    if period not in ("month", "fiscal_year"):
        raise ValueError("period must be 'month' or 'fiscal_year'")
    where = scope_filter(site_id, prime_company_id, company_id)
    out = []
    start = date_from
    while start <= date_to:
        if period == "month":
            label, (_, end) = f"{start:%Y-%m}", month_range(start.year, start.month)
        else:
            fy = fiscal_year_of(start)
            label, (_, end) = f"FY{fy}", fiscal_year_range(fy)
        end = min(end, date_to)
        counts = (_counts(session, where, start, end) or [_EMPTY])[0]
        out.append(
            {"period": label, "from": start.isoformat(), "to": end.isoformat(), **figures(counts)}
        )
        start = end + timedelta(days=1)
    return out


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
