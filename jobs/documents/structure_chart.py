"""The 施工体系図: a site's 施工体制 drawn as a tree, as SVG and as an A3 landscape PDF.

元請 at the top; under each company the companies that work under it.  Each box shows the
company's name, its tier (元請, 一次, 二次, …), 工種, 主任技術者 and 工期; a company a call
added and nobody confirmed yet is drawn dashed and marked 「未確認」.  Both outputs come from
one layout (`layout`), so the SVG and the PDF agree box for box.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A3, landscape
from reportlab.pdfgen.canvas import Canvas

from jobs.documents.fonts import japanese_font
from workers_db.models import Company, SiteCompany

BOX_W, BOX_H = 200.0, 92.0
GAP_X, GAP_Y = 22.0, 48.0
MARGIN = 30.0
TITLE_H = 60.0
TIER_NAMES = {0: "元請", 1: "一次", 2: "二次", 3: "三次", 4: "四次", 5: "五次"}


@dataclass
class ChartNode:
    name: str
    tier: int | None
    confirmed: bool
    trade: str | None = None
    chief_engineer: str | None = None
    works_from: date | None = None
    works_to: date | None = None
    children: list[ChartNode] = field(default_factory=list)

    def lines(self) -> list[str]:
        tier = TIER_NAMES.get(self.tier, f"{self.tier}次") if self.tier is not None else "次数未定"
        period = ""
        if self.works_from or self.works_to:
            first = self.works_from.isoformat() if self.works_from else "?"
            last = self.works_to.isoformat() if self.works_to else "?"
            period = f"{first} 〜 {last}"
        return [
            f"{tier}{'（未確認）' if not self.confirmed else ''}",
            f"工種: {self.trade or '—'}",
            f"主任技術者: {self.chief_engineer or '—'}",
            f"工期: {period or '—'}",
        ]


@dataclass
class Placed:
    node: ChartNode
    x: float
    y: float
    parent: Placed | None


def layout(roots: Sequence[ChartNode]) -> tuple[list[Placed], float, float]:
    """Boxes (top-left corners) and the drawing's width and height: each subtree gets the
    width of its leaves, a parent is centred over its children."""
    placed: list[Placed] = []

    def width(node: ChartNode) -> float:
        if not node.children:
            return BOX_W
        return max(BOX_W, sum(width(c) for c in node.children) + GAP_X * (len(node.children) - 1))

    def place(node: ChartNode, left: float, depth: int, parent: Placed | None) -> None:
        span = width(node)
        here = Placed(
            node, left + (span - BOX_W) / 2, MARGIN + TITLE_H + depth * (BOX_H + GAP_Y), parent
        )
        placed.append(here)
        children_span = sum(width(c) for c in node.children) + GAP_X * (len(node.children) - 1)
        x = left + (span - children_span) / 2
        for child in node.children:
            place(child, x, depth + 1, here)
            x += width(child) + GAP_X

    x = MARGIN
    for root in roots:
        place(root, x, 0, None)
        x += width(root) + GAP_X
    total_w = max(x - GAP_X + MARGIN, 2 * MARGIN + BOX_W * 2)
    total_h = max((p.y for p in placed), default=MARGIN + TITLE_H) + BOX_H + MARGIN
    return placed, total_w, total_h


def render_svg(site_name: str, site_code: str, roots: Sequence[ChartNode], as_of: date) -> str:
    placed, w, h = layout(roots)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{w:.0f}" height="{h:.0f}" role="img" aria-label="施工体系図 {escape(site_name)}" '
        "font-family=\"IPAexGothic, 'Noto Sans CJK JP', sans-serif\">",
        f'<text x="{MARGIN}" y="{MARGIN + 22}" font-size="22" font-weight="bold">'
        f"施工体系図　{escape(site_name)}（#{escape(site_code)}）</text>",
        f'<text x="{MARGIN}" y="{MARGIN + 44}" font-size="12" fill="#555">'
        f"{as_of.isoformat()} 現在</text>",
    ]
    for p in placed:
        if p.parent is not None:
            x1, y1 = p.parent.x + BOX_W / 2, p.parent.y + BOX_H
            x2, y2 = p.x + BOX_W / 2, p.y
            mid = y1 + GAP_Y / 2
            out.append(
                f'<path d="M{x1:.1f},{y1:.1f} V{mid:.1f} H{x2:.1f} V{y2:.1f}" fill="none" '
                'stroke="#445" stroke-width="1.2"/>'
            )
    for p in placed:
        dash = "" if p.node.confirmed else ' stroke-dasharray="6 4"'
        fill = "#eef3fa" if p.node.tier == 0 else "#ffffff" if p.node.confirmed else "#fff7e6"
        classes = "company" + ("" if p.node.confirmed else " unconfirmed")
        out.append(f'<g class="{classes}">')
        out.append(
            f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="{fill}" stroke="#1f3a5f" stroke-width="1.5"{dash}/>'
        )
        out.append(
            f'<text x="{p.x + 8:.1f}" y="{p.y + 20:.1f}" font-size="14" font-weight="bold">'
            f"{escape(_fit(p.node.name, 14))}</text>"
        )
        for i, line in enumerate(p.node.lines()):
            colour = "#b45309" if i == 0 and not p.node.confirmed else "#333"
            out.append(
                f'<text x="{p.x + 8:.1f}" y="{p.y + 38 + i * 15:.1f}" font-size="11" '
                f'fill="{colour}">{escape(_fit(line, 18))}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _fit(text: str, max_chars: int) -> str:
    """Japanese counts as two columns of a box line; cut with … past the box."""
    width = 0
    for i, ch in enumerate(text):
        width += 2 if ord(ch) > 0x2E7F else 1
        if width > max_chars * 2:
            return text[: max(i - 1, 0)] + "…"
    return text


def render_pdf(site_name: str, site_code: str, roots: Sequence[ChartNode], as_of: date) -> bytes:
    """The same drawing on one A3 landscape page, scaled to fill it (down when wider)."""
    font = japanese_font()
    placed, w, h = layout(roots)
    page_w, page_h = landscape(A3)
    scale = min(1.8, page_w / w, page_h / h)  # fill the page, never overflow it
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_w, page_h), initialFontName=font)
    canvas.setTitle(f"施工体系図 {site_name}")
    canvas.setAuthor("genba-call")
    canvas.translate(0, page_h)
    canvas.scale(scale, -scale)  # SVG coordinates: y grows downwards

    def text(x: float, y: float, value: str, size: float) -> None:
        canvas.saveState()
        canvas.translate(x, y)
        canvas.scale(1, -1)
        canvas.setFont(font, size)
        canvas.drawString(0, 0, value)
        canvas.restoreState()

    text(MARGIN, MARGIN + 22, f"施工体系図　{site_name}（#{site_code}）", 22)
    text(MARGIN, MARGIN + 44, f"{as_of.isoformat()} 現在", 12)
    canvas.setStrokeColorRGB(0.27, 0.27, 0.33)
    canvas.setLineWidth(1.2)
    for p in placed:
        if p.parent is not None:
            x1, y1 = p.parent.x + BOX_W / 2, p.parent.y + BOX_H
            x2, y2 = p.x + BOX_W / 2, p.y
            mid = y1 + GAP_Y / 2
            path = canvas.beginPath()
            path.moveTo(x1, y1)
            path.lineTo(x1, mid)
            path.lineTo(x2, mid)
            path.lineTo(x2, y2)
            canvas.drawPath(path, stroke=1, fill=0)
    for p in placed:
        canvas.saveState()
        canvas.setStrokeColorRGB(0.12, 0.23, 0.37)
        canvas.setLineWidth(1.5)
        if not p.node.confirmed:
            canvas.setDash(6, 4)
            canvas.setFillColorRGB(1, 0.97, 0.9)
        elif p.node.tier == 0:
            canvas.setFillColorRGB(0.93, 0.95, 0.98)
        else:
            canvas.setFillColorRGB(1, 1, 1)
        canvas.roundRect(p.x, p.y, BOX_W, BOX_H, 6, stroke=1, fill=1)
        canvas.restoreState()
        canvas.setFillColorRGB(0.1, 0.1, 0.1)
        text(p.x + 8, p.y + 20, _fit(p.node.name, 14), 14)
        for i, line in enumerate(p.node.lines()):
            if i == 0 and not p.node.confirmed:
                canvas.setFillColorRGB(0.7, 0.33, 0.04)
            else:
                canvas.setFillColorRGB(0.2, 0.2, 0.2)
            text(p.x + 8, p.y + 38 + i * 15, _fit(line, 18), 11)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


class TreeNode(Protocol):
    """A node of the site's 施工体制 tree as the structure page loads it."""

    @property
    def edge(self) -> SiteCompany: ...
    @property
    def company(self) -> Company: ...
    @property
    def children(self) -> Sequence[TreeNode]: ...


def chart_nodes(nodes: Sequence[TreeNode]) -> list[ChartNode]:
    """The structure page's tree (edges with their companies) as chart boxes."""
    return [
        ChartNode(
            name=n.company.name,
            tier=n.edge.tier,
            confirmed=n.edge.confirmed,
            trade=n.edge.trade,
            chief_engineer=n.edge.chief_engineer,
            works_from=n.edge.works_from,
            works_to=n.edge.works_to,
            children=chart_nodes(n.children),
        )
        for n in nodes
    ]
