"""The entrance poster (入口掲示): an A4 portrait PDF that tells workers which number to call.

Layout, top to bottom: the site's name; 「入場・退場は電話で」; the number in large digits (the
national format a Japanese phone dials, e.g. 03-5550-1001); on a shared number, the site code
to key followed by #; three short lines on how to check in, in Japanese, English and
Vietnamese; a QR code of `tel:+81…` that a phone camera dials; the site code and the date
printed.  Fonts are embedded (jobs.documents.fonts).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import phonenumbers
import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from jobs.documents.fonts import japanese_font, latin_font


@dataclass(frozen=True)
class PosterText:
    site_name: str
    site_code: str
    number_e164: str
    shared: bool  # the number is shared by several sites: callers key the site code
    printed_on: date


class NoNumber(ValueError):
    """The site has no number of its own and no shared number was given."""


def poster_for(
    name: str, site_code: str, own_number: str | None, shared: str | None, printed_on: date
) -> PosterText:
    """The poster of a site: its own number, or the shared number given (E.164), and then the
    site code to key as well."""
    number = shared or own_number
    if number is None:
        raise NoNumber(f"site {site_code} has no number of its own: give the shared number")
    return PosterText(name, site_code, number, number != own_number, printed_on)


def national(e164: str) -> str:
    """`+81355501001` → `03-5550-1001` (how the number is dialled from a Japanese phone)."""
    number = phonenumbers.parse(e164, "JP")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def how_to(text: PosterText) -> list[tuple[str, str]]:
    """The three how-to lines (language tag, text)."""
    if text.shared:
        return [
            (
                "ja",
                f"現場に着いたら上の番号に電話し、現場コード {text.site_code} と # を押します。"
                "帰るときも同じように電話します。",
            ),
            (
                "en",
                f"On arrival, call the number above and key the site code {text.site_code} then #."
                " Call again the same way when you leave.",
            ),
            (
                "vi",
                f"Khi đến công trường, hãy gọi số trên và bấm mã công trường {text.site_code}"
                " rồi #. Khi về, hãy gọi lại như vậy.",
            ),
        ]
    return [
        (
            "ja",
            "現場に着いたら上の番号に電話するだけで入場が記録されます。"
            "帰るときももう一度電話します。",
        ),
        (
            "en",
            "On arrival, just call the number above: your entry is recorded."
            " Call again when you leave.",
        ),
        (
            "vi",
            "Khi đến công trường, chỉ cần gọi số trên là được ghi nhận."
            " Khi về, hãy gọi lại một lần nữa.",
        ),
    ]


def _wrap(canvas: Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` (by character: Japanese has no spaces,
    and Latin lines break at spaces when they can)."""
    lines: list[str] = []
    current = ""
    for ch in text:
        trial = current + ch
        if canvas.stringWidth(trial, font, size) <= width:
            current = trial
            continue
        cut = current.rfind(" ")
        if cut > 0 and not ch.isspace():
            lines.append(current[:cut])
            current = current[cut + 1 :] + ch
        else:
            lines.append(current)
            current = ch.lstrip()
    if current:
        lines.append(current)
    return lines


def render_poster(text: PosterText) -> bytes:
    ja, latin = japanese_font(), latin_font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, initialFontName=ja)
    canvas.setTitle(f"入場・退場の電話 {text.site_name}")
    canvas.setAuthor("genba-call")
    width, height = A4
    margin = 18 * mm
    inner = width - 2 * margin
    # frame
    canvas.setStrokeColorRGB(0.12, 0.23, 0.37)
    canvas.setLineWidth(3)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    y = height - 34 * mm
    canvas.setFillColorRGB(0.1, 0.1, 0.1)
    size = 24.0
    while canvas.stringWidth(text.site_name, ja, size) > inner and size > 12:
        size -= 1
    canvas.setFont(ja, size)
    canvas.drawCentredString(width / 2, y, text.site_name)
    y -= 22 * mm
    canvas.setFont(ja, 30)
    canvas.drawCentredString(width / 2, y, "入場・退場は電話で")
    y -= 10 * mm
    canvas.setFont(latin, 13)
    canvas.drawCentredString(width / 2, y, "Check in by phone · Chấm công bằng điện thoại")
    # the number, as large as fits
    digits = national(text.number_e164)
    y -= 32 * mm
    size = 72.0
    while canvas.stringWidth(digits, latin, size) > inner and size > 24:
        size -= 2
    canvas.setFillColorRGB(0.12, 0.23, 0.37)
    canvas.setFont(latin, size)
    canvas.drawCentredString(width / 2, y, digits)
    if text.shared:
        y -= 22 * mm
        canvas.setFillColorRGB(0.75, 0.25, 0.05)
        canvas.setFont(ja, 30)
        canvas.drawCentredString(width / 2, y, f"現場コード {text.site_code} #")
        y -= 9 * mm
        canvas.setFont(latin, 13)
        canvas.drawCentredString(width / 2, y, f"site code / mã công trường: {text.site_code} #")
    # how to, three languages
    canvas.setFillColorRGB(0.1, 0.1, 0.1)
    y -= 16 * mm
    for lang, line in how_to(text):
        font = ja if lang == "ja" else latin
        body = 14.0 if lang == "ja" else 13.0
        canvas.setFont(font, body)
        for part in _wrap(canvas, line, font, body, inner):
            canvas.drawString(margin, y, part)
            y -= body * 1.45
        y -= 3 * mm
    # QR code of tel:
    qr = segno.make(f"tel:{text.number_e164}", error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=10, border=2)
    png.seek(0)
    side = 50 * mm
    qr_y = 22 * mm
    canvas.drawImage(ImageReader(png), (width - side) / 2, qr_y + 8 * mm, side, side)
    canvas.setFont(ja, 10)
    canvas.drawCentredString(
        width / 2, qr_y + 3 * mm, "スマートフォンのカメラで読むと電話がかかります / scan to call"
    )
    canvas.setFont(latin, 8)
    canvas.setFillColorRGB(0.4, 0.4, 0.4)
    canvas.drawRightString(
        width - 14 * mm, 13 * mm, f"#{text.site_code} · {text.printed_on.isoformat()} · genba-call"
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
