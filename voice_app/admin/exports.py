"""Exports of work records (就業履歴) and statistics as CSV (UTF-8 with BOM, for Excel) and
.xlsx, with Japanese headers and formula-safe cells (`tabular`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from voice_app.admin import bp
from voice_app.admin.common import date_range_args
from voice_app.admin.downloads import MIMETYPES, attachment
from voice_app.admin.scoping import (
    own_company_only,
    site_ids_in_scope,
    site_or_abort,
    visible_sites,
)
from voice_app.admin.security import login_required
from voice_app.admin.stats_data import FIGURES, figures_of, resolve_scope, series_of
from voice_app.admin.tabular import XLSX_MIME, csv_chunks, xlsx_bytes
from voice_app.extensions import db, settings
from workers_db.record_export import work_records_for_export

SOURCE_JA = {"phone": "電話", "nfc": "カード", "manual": "事後登録", "roster": "出面"}
WORK_RECORD_HEADERS = (
    "就業日",
    "現場コード",
    "現場名",
    "現場ID",
    "事業者名",
    "事業者ID",
    "技能者名",
    "フリガナ",
    "技能者ID",
    "入場時刻",
    "退場時刻",
    "記録方法",
    "就業履歴として計上",
    "イベント数",
)
WORK_RECORD_WIDTHS = (12, 10, 24, 16, 24, 16, 18, 18, 16, 17, 17, 16, 10, 8)


@bp.get("/exports")
@login_required()
def exports() -> ResponseReturnValue:
    start, end = date_range_args()
    return render_template("admin/exports.html", sites=visible_sites(), start=start, end=end)


def _work_record_rows(site_id: int | None, start: date, end: date) -> Iterator[tuple[Any, ...]]:
    rows = work_records_for_export(
        db(),
        start=start,
        end=end,
        site_id=site_id,
        site_ids=site_ids_in_scope(),
        company_id=own_company_only(),
    )
    tz = settings().tz
    for record, site, worker, company in rows:
        yield (
            record.work_date,
            site.site_code,
            site.name,
            site.ccus_site_id or "",
            company.name,
            company.ccus_business_id or "",
            worker.name,
            worker.name_kana or "",
            worker.ccus_worker_id or "",
            record.first_in.astimezone(tz) if record.first_in else None,
            record.last_out.astimezone(tz) if record.last_out else None,
            "・".join(SOURCE_JA.get(s, s) for s in record.sources.split(",") if s),
            "○" if record.countable else "×",
            record.event_count,
        )


def download(
    name: str,
    fmt: str,
    sheets: list[tuple[str, tuple[str, ...], Any]],
    widths: dict[str, Any] | None = None,
) -> Response:
    """A CSV (first sheet only, streamed) or .xlsx attachment."""
    if fmt == "csv":
        _title, headers, rows = sheets[0]
        response = Response(
            stream_with_context(csv_chunks(headers, rows)), mimetype=MIMETYPES["csv"]
        )
    elif fmt == "xlsx":
        response = Response(xlsx_bytes(sheets, widths), mimetype=XLSX_MIME)
    else:
        abort(404)
    return attachment(response, f"{name}.{fmt}")


@bp.get("/exports/work-records.<fmt>")
@login_required()
def export_work_records(fmt: str) -> ResponseReturnValue:
    start, end = date_range_args()
    site_id = request.args.get("site_id", type=int)
    site = site_or_abort(site_id) if site_id else None
    name = f"就業履歴_{site.site_code + '_' if site else ''}{start}_{end}"
    title = "就業履歴"
    return download(
        name,
        fmt,
        [(title, WORK_RECORD_HEADERS, _work_record_rows(site.id if site else None, start, end))],
        {title: WORK_RECORD_WIDTHS},
    )


def _stats_sheets(start: date, end: date) -> list[tuple[str, tuple[str, ...], Any]]:
    scope = resolve_scope()
    figures = figures_of(scope, start, end)
    unit, series = series_of(scope, start, end)
    names = [ja for _, ja, _, _ in FIGURES]
    summary = [("対象", scope.name), ("期間", f"{start.isoformat()} 〜 {end.isoformat()}")]
    summary += [(ja, figures[key]) for key, ja, _, _ in FIGURES]
    target = figures.get("target")
    if target:
        summary += [
            ("年度", f"{target['fiscal_year']}年度"),
            ("今年度の就業履歴数", target["work_history_count"]),
            ("目標", target["touches_target"]),
            ("コミットメント", target["touches_commitment"]),
            ("目標 (経過按分)", target["touches_target_prorated"]),
            ("コミットメント (経過按分)", target["touches_commitment_prorated"]),
            ("事業者登録率 目標", target["company_rate_target"]),
            ("事業者登録率 コミットメント", target["company_rate_commitment"]),
            ("技能者登録率 目標", target["worker_rate_target"]),
            ("技能者登録率 コミットメント", target["worker_rate_commitment"]),
        ]
    keys = [key for key, _, _, _ in FIGURES]
    series_rows = [
        (item.get("date") or item.get("period"), *[item[k] for k in keys]) for item in series
    ]
    companies = [
        (row["name"], row["tier"], "○" if row["ccus_registered"] else "×", *[row[k] for k in keys])
        for row in figures["companies"]
    ]
    sites = [
        (
            row["site_code"],
            row["name"],
            "○" if row["registered_in_ccus"] else "×",
            *[row[k] for k in keys],
        )
        for row in figures["sites"]
    ]
    return [
        ("概要", ("項目", "値"), summary),
        (
            "日別" if unit == "day" else "月別",
            ("日付" if unit == "day" else "月", *names),
            series_rows,
        ),
        ("会社別", ("会社名", "次数", "事業者登録", *names), companies),
        ("現場別", ("現場コード", "現場名", "CCUS現場登録", *names), sites),
    ]


STATS_TABLES = {"summary": 0, "series": 1, "companies": 2, "sites": 3}


@bp.get("/exports/stats.<fmt>")
@login_required()
def export_stats(fmt: str) -> ResponseReturnValue:
    """The statistics page's figures: .xlsx with every table, CSV with one (`table`)."""
    start, end = date_range_args()
    sheets = _stats_sheets(start, end)
    if fmt == "csv":
        # the figures on the screen (the summary), unless another table is asked for
        sheets = [sheets[STATS_TABLES.get(request.args.get("table", "summary"), 0)]]
    widths = {title: [24] + [14] * (len(headers) - 1) for title, headers, _ in sheets}
    return download(f"統計_{start}_{end}", fmt, sheets, widths)
