"""The print set-up every workbook of the project carries (paper, orientation, fit to the
page width, header rows repeated, margins), so it prints as the office files it without
touching Excel's page setup."""

from __future__ import annotations

from typing import Any

PAPER_A3 = 8  # openpyxl's (Excel's) paper size codes
PAPER_A4 = 9


def print_setup(
    sheet: Any,
    *,
    paper: int = PAPER_A4,
    landscape: bool = True,
    header_rows: str | None = None,
) -> None:
    """Landscape (or portrait) on `paper`, every column on one page width, as many pages
    down as it takes, `header_rows` (e.g. "1:2") repeated on each page."""
    sheet.page_setup.paperSize = paper
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    if header_rows:
        sheet.print_title_rows = header_rows
