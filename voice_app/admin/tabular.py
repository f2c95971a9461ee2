"""Writing tables for Excel: CSV (UTF-8 with BOM, CRLF) and .xlsx (openpyxl), both safe to
open.  A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be
run as a formula by a spreadsheet (CSV injection); such cells get a leading apostrophe.
Numbers, dates and booleans are written as such (they cannot carry a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from jobs.documents.sheets import PAPER_A4, print_setup
from jobs.figures import neutralise

BOM = "\ufeff"
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):  # local time, as Excel reads a date and time
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # a rate as Excel reads a percentage; others to 0.1
        return f"{value * 100:.1f}%" if 0 <= value <= 1 else f"{value:.1f}"
    return str(neutralise(value))


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text in pieces (for a streamed response), starting with the BOM Excel wants."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_text(v) for v in row])
        yield buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no zones: local time is written
    return neutralise(value)


def xlsx_bytes(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    widths: dict[str, Sequence[int]] | None = None,
) -> bytes:
    """An .xlsx workbook of one or more sheets: (title, headers, rows)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F3A5F")
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        print_setup(sheet, paper=PAPER_A4, landscape=True, header_rows="1:1")
        for index, width in enumerate((widths or {}).get(title, ())):
            sheet.column_dimensions[_column_letter(index)].width = width
        header_cells = []
        for text in headers:
            cell = WriteOnlyCell(sheet, value=neutralise(text))
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(vertical="center")
            header_cells.append(cell)
        sheet.append(header_cells)
        for count, row in enumerate(rows):
            if count >= XLSX_MAX_ROWS:
                break
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                elif isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(value, float):
                    cell.number_format = "0.0%" if 0 <= value <= 1 else "0.00"
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
