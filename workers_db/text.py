"""Japanese text as people type it, normalised once on the way in (docs/import.md).

Names and フリガナ arrive from Excel, IMEs and phones in many spellings of the same thing:
full-width digits and spaces (`大野　健太`), half-width katakana (`ｵｵﾉ`), フリガナ in hiragana.
Every write path (CSV import, API, admin forms) stores `clean_text` of a name and `kana_text`
of a reading, and every search normalises its query the same way, so one plain comparison on
the stored values finds them whatever was typed.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Hiragana ぁ (U+3041) … ゖ (U+3096) and the iteration marks ゝゞ sit 0x60 below katakana.
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in (*range(0x3041, 0x3097), 0x309D, 0x309E)}


def clean_text(value: str | None) -> str:
    """NFKC (full-width digits, letters and spaces to half-width, half-width kana to
    full-width), every run of spaces as one space, no space at either end."""
    if not value:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def kana_text(value: str | None) -> str:
    """A reading in katakana whatever was typed: hiragana and half-width ｶﾅ become カナ."""
    return clean_text(value).translate(_HIRAGANA_TO_KATAKANA)


def optional_kana(value: str | None) -> str | None:
    """`kana_text`, with None for an empty reading (the column is nullable)."""
    return kana_text(value) or None
