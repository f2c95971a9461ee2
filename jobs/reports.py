"""The monthly follow-up report (月次フォローアップ) of one member company (元請, 日建連会員):
the month's figures, progress against the fiscal year's target and commitment, every site,
every employer, and a chart of daily work-history counts.  HTML (with an inline SVG chart)
and CSV (UTF-8 with BOM, so Excel in Japan opens it; cells Excel-safe)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.figures import FIGURES, neutralise
from jobs.stats import compute_stats, daily_series, month_range
from workers_db.models import Company, Site


@dataclass(frozen=True)
class MonthlyReport:
    company_id: int
    company_name: str
    month: str  # YYYY-MM
    stats: dict[str, Any]
    daily: list[dict[str, Any]]
    html: str
    csv: str

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"followup-{self.month}-company-{self.company_id}"
        html_path, csv_path = folder / f"{stem}.html", folder / f"{stem}.csv"
        html_path.write_text(self.html, encoding="utf-8")
        csv_path.write_text(self.csv, encoding="utf-8-sig")
        return html_path, csv_path


def member_company_ids(session: Session) -> list[int]:
    """Companies that are the prime contractor of at least one site."""
    return list(
        session.scalars(select(Site.prime_company_id).distinct().order_by(Site.prime_company_id))
    )


def build_monthly_report(
    session: Session,
    prime_company_id: int,
    year: int,
    month: int,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> MonthlyReport:
    company = session.get(Company, prime_company_id)
    if company is None:
        raise LookupError(f"no company with id {prime_company_id}")
    first, last = month_range(year, month)
    stats = compute_stats(
        session, prime_company_id=prime_company_id, date_from=first, date_to=last, tz=tz, now=now
    )
    daily = daily_series(session, prime_company_id=prime_company_id, date_from=first, date_to=last)
    label = f"{year:04d}-{month:02d}"
    html = _render_html(company.name, label, stats, daily)
    return MonthlyReport(
        company.id, company.name, label, stats, daily, html, _csv(company.name, label, stats, daily)
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def chart_bars(daily: list[dict[str, Any]], width: int = 720, height: int = 180) -> dict[str, Any]:
    """Geometry of the daily bar chart: worker-days (light) behind work-history counts."""
    peak = max([d["worker_days"] for d in daily] + [1])
    slot = width / max(len(daily), 1)
    bars = []
    for i, d in enumerate(daily):
        day = date.fromisoformat(d["date"])
        total_h = height * d["worker_days"] / peak
        count_h = height * d["work_history_count"] / peak
        bars.append(
            {
                "x": round(i * slot + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "total_y": round(height - total_h, 1),
                "total_h": round(total_h, 1),
                "y": round(height - count_h, 1),
                "h": round(count_h, 1),
                "label": str(day.day) if day.day == 1 or day.day % 5 == 0 else "",
                "title": f"{d['date']}: {d['work_history_count']} / {d['worker_days']}",
            }
        )
    return {"width": width, "height": height, "peak": peak, "bars": bars}


def _render_html(
    company_name: str, month: str, stats: dict[str, Any], daily: list[dict[str, Any]]
) -> str:
    env = Environment(
        loader=PackageLoader("jobs", "templates"), autoescape=select_autoescape(["html"])
    )
    env.filters["fmt"] = _fmt
    return env.get_template("monthly_report.html").render(
        company_name=company_name,
        month=month,
        stats=stats,
        summary_rows=FIGURES,
        chart=chart_bars(daily),
    )


def _csv(company_name: str, month: str, stats: dict[str, Any], daily: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(*cells: object) -> None:
        writer.writerow(["" if c is None else neutralise(c) for c in cells])

    row("月次フォローアップ / monthly follow-up", company_name, month)
    row()
    row("指標", "metric", "値 / value")
    for key, ja, en, _ in FIGURES:
        row(ja, en, stats[key])
    target = stats["target"] or {}
    row()
    row("年度目標 / fiscal-year target", target.get("fiscal_year"), target.get("as_of"))
    for key in (
        "work_history_count",
        "touches_target",
        "touches_target_prorated",
        "touches_commitment",
        "touches_commitment_prorated",
        "elapsed_share",
        "company_rate_target",
        "company_rate_commitment",
        "worker_rate_target",
        "worker_rate_commitment",
    ):
        row(key, "", target.get(key))
    row()
    row("現場コード / site", "現場名 / name", *(k for k, *_ in FIGURES))
    for s in stats["sites"]:
        row(s["site_code"], s["name"], *(s[k] for k, *_ in FIGURES))
    row()
    row("事業者ID / company", "事業者名 / name", *(k for k, *_ in FIGURES))
    for c in stats["companies"]:
        row(c["company_id"], c["name"], *(c[k] for k, *_ in FIGURES))
    row()
    row("日付 / date", "work_history_count", "worker_days")
    for d in daily:
        row(d["date"], d["work_history_count"], d["worker_days"])
    return out.getvalue()
