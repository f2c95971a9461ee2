"""Statistics per site and per prime contractor: the figures of docs/figures.md (computed by
`jobs.stats`), progress against the member company's target and commitment, MLIT model-works
standing, and charts a manager can put in a meeting (daily work-history counts, rates over
time, card-level distribution)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from voice_app.admin import bp
from voice_app.admin.charts import (
    NARROW,
    WIDTH,
    Series,
    horizontal_bars,
    rate_lines,
    responsive,
    stacked_bars,
    target_bullet,
)
from voice_app.admin.common import date_range_args, today
from voice_app.admin.i18n import current_lang, translate
from voice_app.admin.security import current_principal, login_required
from voice_app.admin.stats_data import (
    FIGURES,
    figure_label,
    figures_of,
    presets,
    prime_choices,
    resolve_scope,
    series_of,
    site_choices,
)

LEVEL_COLOURS = {1: "#ffffff", 2: "#2b6cb0", 3: "#b8c0cc", 4: "#d4a017", None: "#e2e8f0"}


def _label(item: dict[str, Any]) -> str:
    if "date" in item:
        day = date.fromisoformat(item["date"])
        return f"{day.month}/{day.day}"
    return str(item["period"])


def charts(series: list[dict[str, Any]], figures: dict[str, Any]) -> dict[str, Markup]:
    """Every chart drawn twice, for a desktop and for a phone (`charts.responsive`)."""
    wide, narrow = _charts(series, figures, WIDTH), _charts(series, figures, NARROW)
    return {key: responsive(wide[key], narrow[key]) for key in wide}


def _charts(series: list[dict[str, Any]], figures: dict[str, Any], width: int) -> dict[str, Markup]:
    labels = [_label(item) for item in series]
    counted = [int(item["work_history_count"]) for item in series]
    uncounted = [int(item["worker_days"]) - int(item["work_history_count"]) for item in series]
    tips = [
        translate(
            "stats.tip",
            label=(item.get("date") or item.get("period")),
            counted=c,
            days=int(item["worker_days"]),
        )
        for item, c in zip(series, counted, strict=True)
    ]
    out = {
        "daily": stacked_bars(
            labels,
            counted,
            uncounted,
            translate("stats.counted"),
            translate("stats.not_counted"),
            translate("stats.chart_daily"),
            tips,
            width,
        ),
        "rates": rate_lines(
            labels,
            [
                Series(
                    figure_label("accumulation_rate"),
                    "#1f3a5f",
                    [i["accumulation_rate"] for i in series],
                ),
                Series(
                    figure_label("worker_registration_rate"),
                    "#e8710a",
                    [i["worker_registration_rate"] for i in series],
                ),
                Series(
                    figure_label("company_registration_rate"),
                    "#0f766e",
                    [i["company_registration_rate"] for i in series],
                ),
                Series(
                    translate("stats.mlit_accumulation"),
                    "#9aa5b5",
                    [0.5] * len(series),
                    dashed=True,
                ),
            ],
            translate("stats.chart_rates"),
            width,
        ),
    }
    ja = current_lang() == "ja"
    levels = [
        (
            row["label_ja"] if ja else row["label_en"],
            int(row["workers"]),
            row["share"],
            LEVEL_COLOURS.get(row["level"], "#e2e8f0"),
        )
        for row in figures["card_levels"]
    ]
    out["levels"] = horizontal_bars(
        levels, translate("common.people"), translate("stats.chart_levels"), width
    )
    target = figures.get("target")
    if target:
        marks = [
            (
                translate("stats.commitment_prorated"),
                float(target["touches_commitment_prorated"]),
                "#c2410c",
            ),
            (
                translate("stats.target_prorated"),
                float(target["touches_target_prorated"]),
                "#0f766e",
            ),
        ]
        out["target"] = target_bullet(
            int(target["work_history_count"]),
            marks,
            float(target["touches_target"]),
            translate("stats.chart_target"),
            translate("stats.fy_count"),
            width,
        )
    return out


@bp.get("/stats")
@login_required()
def stats() -> ResponseReturnValue:
    scope = resolve_scope()
    start, end = date_range_args()
    figures = figures_of(scope, start, end)
    unit, series = series_of(scope, start, end)
    return render_template(
        "admin/stats.html",
        scope=scope,
        start=start,
        end=end,
        figures=figures,
        figure_rows=FIGURES,
        unit=unit,
        charts=charts(series, figures),
        sites=site_choices(),
        primes=prime_choices(),
        presets=[
            (key, {**scope.args, "from": a.isoformat(), "to": b.isoformat()})
            for key, a, b in presets(today())
        ],
        period_args={**scope.args, "from": start.isoformat(), "to": end.isoformat()},
        site=scope.site,
        figure_label=figure_label,
        may_set_targets=scope.prime is not None
        and current_principal().speaks_for_prime(scope.prime.id),
    )
