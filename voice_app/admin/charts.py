"""Charts as inline SVG, drawn on the server: nothing to download, no script, no CDN, and
they print.  Colours are presentation attributes (the page's CSP forbids inline styles).

Each function returns `Markup` of one `<svg>` with a `<title>` per mark (hover tooltips)
and an `aria-label` summary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1d2433"
MUTED = "#5b6475"
GRID = "#e3e7ee"
WIDTH = 960  # every chart spans the page: text stays legible in a meeting room
FONT = 'font-family="inherit"'


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    values: Sequence[float | None]
    dashed: bool = False


def nice_ceiling(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def axis_ticks(value: float, most: int = 5) -> list[int]:
    """Whole-number gridlines from 0 to a round maximum at or above `value`, at most `most`
    steps, each step 1, 2 or 5 × 10^n: every label is the value of its line (0 2 4 6 8)."""
    top = max(value, 1)
    exponent = 0
    while True:
        for base in (1, 2, 5):
            step = base * 10**exponent
            if math.ceil(top / step) <= most:
                return [step * i for i in range(math.ceil(top / step) + 1)]
        exponent += 1


RATE_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str = "middle",
    size: int = 12,
    color: str = MUTED,
    weight: str = "400",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{color}" font-weight="{weight}" {FONT}>{escape(text)}</text>'
    )


def _legend_width(label: str) -> float:
    return 28 + 13 * len(label) * (1.0 if label.isascii() else 1.05)


def legend_rows(items: Sequence[tuple[str, str, bool]], x: float, right: float) -> int:
    """How many lines the legend takes when it wraps at `right`."""
    rows, at = 1, x
    for label, _, _ in items:
        if at > x and at + _legend_width(label) > right:
            rows, at = rows + 1, x
        at += _legend_width(label)
    return rows


def _legend(
    items: Sequence[tuple[str, str, bool]], x: float, y: float, right: float = WIDTH
) -> str:
    parts = []
    start = x
    for label, color, dashed in items:
        if x > start and x + _legend_width(label) > right:  # wrap onto the next line
            x, y = start, y + 18
        if dashed:
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 16:.1f}" y2="{y - 4:.1f}" '
                f'stroke="{color}" stroke-width="2" stroke-dasharray="4 3"/>'
            )
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" fill="{color}"/>'
            )
        parts.append(_text(x + 20, y, label, anchor="start", color=INK))
        x += _legend_width(label)
    return "".join(parts)


def _svg(width: int, height: int, label: str, body: str) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _y_axis(
    left: float,
    right: float,
    top: float,
    bottom: float,
    ticks: Sequence[float],
    fmt: str = "{:,.0f}",
) -> str:
    """A gridline and its label at each tick value (the last tick is the axis maximum)."""
    parts = []
    maximum = ticks[-1] or 1
    for value in ticks:
        y = bottom - (bottom - top) * value / maximum
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, fmt.format(value), anchor="end", size=11))
    return "".join(parts)


def _x_labels(labels: Sequence[str], left: float, step: float, y: float, width: int = WIDTH) -> str:
    every = max(1, math.ceil(len(labels) / max(width // 80, 4)))
    return "".join(
        _text(left + step * (i + 0.5), y, label, size=11)
        for i, label in enumerate(labels)
        if i % every == 0
    )


def stacked_bars(
    labels: Sequence[str],
    lower: Sequence[int],
    upper: Sequence[int],
    lower_label: str,
    upper_label: str,
    title: str,
    tooltips: Sequence[str] | None = None,
    width: int = WIDTH,
) -> Markup:
    """Daily counts: `lower` (e.g. countable work-history records) with `upper` on top."""
    legend = [(lower_label, "#2b6cb0", False), (upper_label, "#f0a35e", False)]
    extra = 18 * (legend_rows(legend, 52.0, width - 14.0) - 1)
    height = 300 + extra
    left, right, top, bottom = 52.0, width - 14.0, 34.0 + extra, height - 30.0
    n = max(len(labels), 1)
    ticks = axis_ticks(max([a + b for a, b in zip(lower, upper, strict=True)] or [0]))
    maximum = ticks[-1]
    step = (right - left) / n
    bar = max(step * 0.72, 1.0)
    parts = [_y_axis(left, right, top, bottom, ticks)]
    for i, (a, b) in enumerate(zip(lower, upper, strict=True)):
        x = left + step * i + (step - bar) / 2
        h_a = (bottom - top) * a / maximum
        h_b = (bottom - top) * b / maximum
        tip = escape(tooltips[i] if tooltips else f"{labels[i]}: {a} + {b}")
        parts.append(f"<g><title>{tip}</title>")
        parts.append(
            f'<rect x="{x:.1f}" y="{bottom - h_a:.1f}" width="{bar:.1f}" '
            f'height="{h_a:.1f}" fill="#2b6cb0" rx="1.5"/>'
        )
        if b:
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - h_a - h_b:.1f}" width="{bar:.1f}" '
                f'height="{h_b:.1f}" fill="#f0a35e" rx="1.5"/>'
            )
        parts.append("</g>")
        if n <= width // 60 and a + b:
            parts.append(_text(x + bar / 2, bottom - h_a - h_b - 4, str(a), size=11, color=INK))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#b8c1cf"/>')
    parts.append(_x_labels(labels, left, step, height - 10, width))
    parts.append(_legend(legend, left, 18, right))
    return _svg(width, height, title, "".join(parts))


def rate_lines(
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    width: int = WIDTH,
) -> Markup:
    """Shares between 0 and 1 over time; a None value breaks its line.  Later series are
    drawn thinner on top, so that two series with the same values both stay visible."""
    legend = [(s.label, s.color, s.dashed) for s in series]
    extra = 18 * (legend_rows(legend, 52.0, width - 14.0) - 1)
    height = 300 + extra
    left, right, top, bottom = 52.0, width - 14.0, 34.0 + extra, height - 30.0
    n = max(len(labels), 1)
    step = (right - left) / n
    parts = [_y_axis(left, right, top, bottom, RATE_TICKS, fmt="{:.0%}")]

    def point(i: int, value: float) -> tuple[float, float]:
        return left + step * (i + 0.5), bottom - (bottom - top) * max(0.0, min(1.0, value))

    for index, s in enumerate(series):
        stroke = 2.0 if s.dashed else max(5.0 - 1.2 * index, 2.0)
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        segment: list[tuple[float, float]] = []
        segments: list[list[tuple[float, float]]] = []
        for i, value in enumerate(s.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
            else:
                segment.append(point(i, value))
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) == 1:
                x, y = seg[0]
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{s.color}"/>')
                continue
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{s.color}" '
                f'stroke-width="{stroke:.1f}" stroke-linejoin="round" '
                f'stroke-linecap="round"{dash}/>'
            )
        if not s.dashed and n <= 45:
            for i, value in enumerate(s.values):
                if value is not None:
                    x, y = point(i, value)
                    parts.append(
                        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#fff" '
                        f'stroke="{s.color}" stroke-width="2"><title>'
                        f"{escape(labels[i])} {escape(s.label)}: {value:.0%}</title>"
                        f"</circle>"
                    )
    parts.append(_x_labels(labels, left, step, height - 10, width))
    parts.append(_legend(legend, left, 18, right))
    return _svg(width, height, title, "".join(parts))


def horizontal_bars(
    items: Sequence[tuple[str, int, float | None, str]],
    unit: str,
    title: str,
    width: int = WIDTH,
) -> Markup:
    """(label, count, share, colour) per row, e.g. the card-level distribution."""
    row = 38
    height = 16 + row * max(len(items), 1)
    left, right = (150.0, width - 120.0) if width >= 600 else (110.0, width - 92.0)
    maximum = max([count for _, count, _, _ in items] or [0]) or 1
    parts = []
    for i, (label, count, share, color) in enumerate(items):
        y = 12 + row * i
        w = (right - left) * count / maximum
        parts.append(_text(left - 10, y + 19, label, anchor="end", size=13, color=INK))
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{right - left:.1f}" height="22" '
            f'fill="#f3f5f8" rx="4"/>'
        )
        if count:
            parts.append(
                f'<rect x="{left}" y="{y + 4}" width="{max(w, 3):.1f}" height="22" '
                f'fill="{color}" stroke="#9aa5b5" stroke-width="0.6" rx="4">'
                f"<title>{escape(label)}: {count}{escape(unit)}</title></rect>"
            )
        share_text = "" if share is None else f" ({share:.0%})"
        parts.append(
            _text(
                right + 10,
                y + 19,
                f"{count}{unit}{share_text}",
                anchor="start",
                size=13,
                color=INK,
                weight="600",
            )
        )
    return _svg(width, height, title, "".join(parts))


def target_bullet(
    count: int,
    marks: Sequence[tuple[str, float, str]],
    full: float | None,
    title: str,
    count_label: str,
    width: int = WIDTH,
) -> Markup:
    """The year's count as a bar against marks (pro-rated commitment and target) on a scale
    up to the full-year target."""
    height = 118
    left, right = 16.0, width - 16.0
    maximum = nice_ceiling(max([count, full or 0, *[v for _, v, _ in marks]]))
    scale = (right - left) / maximum
    parts = [
        f'<rect x="{left}" y="40" width="{right - left:.1f}" height="30" fill="#eef1f6" rx="6"/>'
    ]
    if full:
        parts.append(
            f'<rect x="{left}" y="40" width="{full * scale:.1f}" height="30" '
            f'fill="#dde5f0" rx="6"/>'
        )
    parts.append(
        f'<rect x="{left}" y="46" width="{max(count * scale, 2):.1f}" height="18" '
        f'fill="#1f3a5f" rx="4"><title>{escape(count_label)}: {count:,}</title></rect>'
    )
    parts.append(
        _text(
            left + 2,
            30,
            f"{count_label} {count:,}",
            anchor="start",
            size=14,
            color=INK,
            weight="700",
        )
    )
    for i, (label, value, color) in enumerate(marks):
        x = left + value * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="34" x2="{x:.1f}" y2="76" stroke="{color}" '
            f'stroke-width="3"><title>{escape(label)}: {value:,.0f}</title></line>'
        )
        anchor = "end" if x > width * 0.6 else "start"
        parts.append(
            _text(
                x + (-4 if anchor == "end" else 4),
                92 + 16 * i,
                f"{label} {value:,.0f}",
                anchor=anchor,
                size=12,
                color=color,
                weight="600",
            )
        )
    return _svg(width, height, title, "".join(parts))


NARROW = 400  # a phone's chart: drawn for ~390 px, so its text stays about 11 px


def responsive(wide: Markup, narrow: Markup) -> Markup:
    """Both drawings; the page's CSS shows the one that fits (`.chart-wide` /
    `.chart-narrow`): a 960-unit chart shrunk onto a phone would have 4 px text."""
    return Markup(f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>')
