"""The jobs the cron schedule runs (jobs.cron): the nightly rebuild and the month's
statistics.  Both are idempotent, so a retry after a crash redoes them safely."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from ivr_flows.days import DayRules
from jobs import defaults, runtime
from jobs.reconcile import affected_dates, reconcile_range, summarize
from jobs.reports import build_monthly_report, member_company_ids

log = logging.getLogger(__name__)


def nightly_rebuild(days: int = defaults.NIGHTLY_REBUILD_DAYS) -> dict[str, object]:
    """Re-reconcile the last `days` days (and the dates they affect) of every site, one
    transaction per site and chunk.  Deleting every work record and running this rebuilds
    them identically."""
    settings = runtime.settings()
    today = datetime.now(settings.tz).date()
    first, last = affected_dates(today - timedelta(days=days), today)
    results = reconcile_range(
        runtime.session_factory(), None, first, last, rules=DayRules.of(settings)
    )
    summary = summarize(results)
    log.info("nightly rebuild %s..%s: %s", first, last, summary)
    return {"from": first.isoformat(), "to": last.isoformat(), **summary}


def monthly_statistics(month: str | None = None) -> dict[str, object]:
    """The statistics of `month` (YYYY-MM; default: the month of yesterday, so the run on
    the 1st closes the previous month) for every member company, written as follow-up
    reports into `$GENBA_INSTANCE/reports/YYYY-MM/`."""
    settings = runtime.settings()
    if month is None:
        yesterday = datetime.now(settings.tz).date() - timedelta(days=1)
        year, mon = yesterday.year, yesterday.month
    else:
        parsed = date.fromisoformat(f"{month}-01")
        year, mon = parsed.year, parsed.month
    label = f"{year:04d}-{mon:02d}"
    folder = settings.instance_path / "reports" / label
    reports = []
    with runtime.job_session() as session:
        for company_id in member_company_ids(session):
            report = build_monthly_report(session, company_id, year, mon, settings.tz)
            html_path, csv_path = report.write(folder)
            reports.append(
                {
                    "company_id": company_id,
                    "work_history_count": report.stats["work_history_count"],
                    "accumulation_rate": report.stats["accumulation_rate"],
                    "html": str(html_path),
                    "csv": str(csv_path),
                }
            )
    log.info("monthly statistics %s: %d member companies", label, len(reports))
    return {"month": label, "reports": reports}
