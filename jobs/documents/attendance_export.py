"""The 出面表 as a workbook (A3 landscape, fit to the page width) and as CSV.

Rows: one per worker, grouped by company down the 施工体制 (元請, 一次, 二次, …).  Columns:
company, tier, worker, then one column per day of the month (○ came and counted in CCUS, △
came but not counted; the cell comment of the XLSX has the in/out times), then the worker's
total.  The last row is the daily head count and the month's total of worker-days.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from jobs.documents.sheets import PAPER_A3, print_setup
from jobs.figures import neutralise
from workers_db.attendance import AttendanceDay, AttendanceSheet

WEEKDAYS = "月火水木金土日"
TIER_NAMES = {0: "元請", 1: "一次", 2: "二次", 3: "三次", 4: "四次", 5: "五次"}


def tier_name(tier: int | None) -> str:
    return "" if tier is None else TIER_NAMES.get(tier, f"{tier}次")


def mark(day: AttendanceDay) -> str:
    return "○" if day.countable else "△"


def times(day: AttendanceDay, tz: Any) -> str:
    def hm(moment: datetime | None) -> str:
        return "—" if moment is None else moment.astimezone(tz).strftime("%H:%M")

    return f"{hm(day.first_in)}–{hm(day.last_out)}"


def header(sheet: AttendanceSheet, layout: str = "{d}({w})") -> list[str]:
    days = [
        layout.format(d=d, w=WEEKDAYS[date(sheet.year, sheet.month, d).weekday()])
        for d in sheet.day_numbers
    ]
    return ["会社", "次数", "氏名", *days, "計"]


def attendance_csv(sheet: AttendanceSheet, site_label: str, tz: Any) -> bytes:
    """UTF-8 with BOM and CRLF (as Excel in Japan opens it); a day cell is `○ 07:52–17:05`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(f"出面表 {site_label} {sheet.month_label}")])
    writer.writerow(header(sheet))
    for row in sheet.rows:
        writer.writerow(
            [
                neutralise(row.company.name),
                tier_name(row.tier),
                neutralise(row.worker.name),
                *[
                    f"{mark(row.days[d])} {times(row.days[d], tz)}" if d in row.days else ""
                    for d in sheet.day_numbers
                ],
                row.total_days,
            ]
        )
    totals = sheet.totals()
    writer.writerow(["人数", "", "", *[totals[d] for d in sheet.day_numbers], sum(totals.values())])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def attendance_xlsx(sheet: AttendanceSheet, site_label: str, tz: Any) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = f"出面表 {sheet.month_label}"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="1F3A5F")
    weekend = PatternFill("solid", fgColor="EEF1F6")
    ws.cell(row=1, column=1, value=neutralise(f"出面表　{site_label}　{sheet.month_label}"))
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    columns = header(sheet, "{d}\n{w}")  # two short lines in a narrow day column
    for col, text in enumerate(columns, start=1):
        cell = ws.cell(row=2, column=col, value=text)
        cell.font = Font(bold=True, color="FFFFFF", size=9)
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    first_day_col = 4
    weekend_cols = {
        first_day_col + d - 1
        for d in sheet.day_numbers
        if date(sheet.year, sheet.month, d).weekday() >= 5
    }
    r = 3
    for row in sheet.rows:
        values: list[Any] = [
            neutralise(row.company.name),
            tier_name(row.tier),
            neutralise(row.worker.name),
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value).border = border
        for d in sheet.day_numbers:
            col = first_day_col + d - 1
            cell = ws.cell(row=r, column=col)
            cell.border = border
            cell.alignment = Alignment(horizontal="center")
            if col in weekend_cols:
                cell.fill = weekend
            if d in row.days:
                day = row.days[d]
                cell.value = mark(day)
                cell.comment = Comment(times(day, tz), "genba-call", width=90, height=24)
        total = ws.cell(row=r, column=first_day_col + len(sheet.day_numbers), value=row.total_days)
        total.border = border
        total.font = Font(bold=True)
        r += 1
    totals = sheet.totals()
    ws.cell(row=r, column=1, value="人数").font = Font(bold=True)
    for d in sheet.day_numbers:
        cell = ws.cell(row=r, column=first_day_col + d - 1, value=totals[d])
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        cell.border = border
    grand = ws.cell(
        row=r, column=first_day_col + len(sheet.day_numbers), value=sum(totals.values())
    )
    grand.font = Font(bold=True)
    grand.border = border
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 6
    ws.column_dimensions["C"].width = 14
    for d in sheet.day_numbers:
        ws.column_dimensions[get_column_letter(first_day_col + d - 1)].width = 4.2
    ws.column_dimensions[get_column_letter(first_day_col + len(sheet.day_numbers))].width = 5
    ws.row_dimensions[2].height = 28
    ws.freeze_panes = "D3"
    print_setup(ws, paper=PAPER_A3, landscape=True, header_rows="2:2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
