"""The board's progress strip: one site's figures for the fiscal year so far against the
figures its prime notified to it, and the prime's タッチ数 against its 新目標 pro-rated.

Both halves reuse the statistics page's own computations (`compute_stats`, whose
`site_target` key judges the site, and `target_progress`, whose `touches_standing` uses the
one `standing` rule), so the board and the statistics page never disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from jobs.stats import compute_stats
from jobs.stats_context import fiscal_year_of, fiscal_year_range, target_progress
from workers_db.models import Site

SITE_FIGURES = (
    ("company_rate", "company_registration_rate"),
    ("worker_rate", "worker_registration_rate"),
    ("accumulation_rate", "accumulation_rate"),
)


def board_progress(
    session: Session, site: Site, *, today: date, tz: ZoneInfo, with_prime: bool
) -> dict[str, Any] | None:
    """The strip's figures, or None when there is nothing to show (no notified figures and,
    where the caller may see them, no prime target).  `with_prime` is the caller's right to
    see the prime's figures (`Principal.speaks_for_prime`); without it the strip
    shows only the site's own figures."""
    fy = fiscal_year_of(today)
    fy_first, _ = fiscal_year_range(fy)
    figures = compute_stats(session, site_id=site.id, date_from=fy_first, date_to=today, tz=tz)
    site_target = figures["site_target"]
    target = (
        target_progress(session, site.prime_company_id, today, today, {}) if with_prime else None
    )
    if site_target is None and target is None:
        return None
    return {
        "fiscal_year": fy,
        "from": fy_first,
        "to": today,
        "site": [
            {
                "name": name,
                "figure": figure,
                "value": figures[figure],
                "notified": site_target[name],
                "met": site_target[f"{name}_met"],
            }
            for name, figure in SITE_FIGURES
            if site_target is not None and site_target[name] is not None
        ],
        "target": target,
    }
