"""Fonts for the PDFs: a Japanese TrueType font embedded (subset) in every PDF, so a printer
or a phone without Japanese fonts shows the same page.

IPAex Gothic (Debian `fonts-ipaexfont-gothic`; scripts/browser installs it) is used when it is
there; `GENBA_PDF_FONT` names another TrueType file.  DejaVu Sans (Debian `fonts-dejavu-core`)
carries the Vietnamese line of the poster.  Without a Japanese TrueType file the PDFs fall
back to reportlab's built-in CID font HeiseiKakuGo-W5, which a viewer must supply (not
embedded): a warning says so once.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

JAPANESE_CANDIDATES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
)
LATIN_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
JA = "GenbaJapanese"
LATIN = "GenbaLatin"


def _first(paths: tuple[str, ...]) -> Path | None:
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            return path
    return None


@cache
def japanese_font() -> str:
    """The registered name of the Japanese font (registered on first use)."""
    chosen = os.environ.get("GENBA_PDF_FONT")
    path = Path(chosen) if chosen else _first(JAPANESE_CANDIDATES)
    if path is not None and path.is_file():
        pdfmetrics.registerFont(TTFont(JA, str(path)))
        return JA
    log.warning(
        "no Japanese TrueType font found (install fonts-ipaexfont-gothic or set "
        "GENBA_PDF_FONT): PDFs use HeiseiKakuGo-W5, which is not embedded"
    )
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    return "HeiseiKakuGo-W5"


@cache
def latin_font() -> str:
    """A font with Vietnamese letters (ạ, ư, ơ, ế …); the Japanese font when none is found."""
    path = _first(LATIN_CANDIDATES)
    if path is None:
        return japanese_font()
    pdfmetrics.registerFont(TTFont(LATIN, str(path)))
    return LATIN
