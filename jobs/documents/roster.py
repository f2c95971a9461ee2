"""The 作業員名簿 (worker roster) as a workbook, in the column order of 全建統一様式第5号
(作業員名簿, the layout most primes ask for; docs/documents.md lists the columns).

One sheet per employer (each company's roster is its own paper, gathered by the 一次 and
handed to the prime), A3 landscape fit to the width.  The workers are those who came to the
site in the month; 入場年月日 is each worker's first day at the site.  A column the project
holds nothing for (現住所, 健康診断, 血圧, 立場 marks, …) is printed blank for the office to
fill by hand.  This is personal data: the caller's scope decides the rows (workers_db), and
nothing here is logged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from jobs.documents.attendance_export import tier_name
from jobs.documents.sheets import PAPER_A3, print_setup
from jobs.figures import neutralise
from workers_db.attendance import AttendanceSheet, first_days, inductions, parent_names
from workers_db.models import Company, Worker

# 全建統一様式第5号, left to right.  (header, width)
COLUMNS: tuple[tuple[str, float], ...] = (
    ("番号", 5),
    ("ふりがな", 16),
    ("氏名", 16),
    ("職種", 10),
    ("※ 立場", 8),
    ("技能者ID", 16),
    ("雇入年月日", 11),
    ("経験年数", 6),
    ("生年月日", 11),
    ("年齢", 5),
    ("現住所", 22),
    ("現住所 TEL", 13),
    ("家族連絡先 (緊急連絡先)", 22),
    ("最近の健康診断日", 11),
    ("血圧", 8),
    ("特殊健康診断日・種類", 13),
    ("健康保険", 12),
    ("年金保険", 12),
    ("雇用保険", 12),
    ("建退共・中退共", 9),
    ("教育・資格・免許", 24),
    ("入場年月日", 11),
    ("受入教育実施年月日", 11),
)


@dataclass(frozen=True)
class RosterLine:
    worker: Worker
    first_day: date
    induction_on: date | None


@dataclass(frozen=True)
class RosterCompany:
    company: Company
    tier: int | None
    parent_name: str | None
    lines: list[RosterLine]


def roster_companies(session: Session, sheet: AttendanceSheet) -> list[RosterCompany]:
    """The month's sheet as one roster per employer, in the sheet's order (down the tree)."""
    ids = [row.worker.id for row in sheet.rows]
    firsts = first_days(session, sheet.site_id, ids)
    taught = inductions(session, sheet.site_id, ids)
    parents = parent_names(session, sheet.site_id)
    groups: dict[int, RosterCompany] = {}
    for row in sheet.rows:
        group = groups.get(row.company.id)
        if group is None:
            group = groups[row.company.id] = RosterCompany(
                row.company, row.tier, parents.get(row.company.id), []
            )
        group.lines.append(
            RosterLine(
                row.worker,
                firsts.get(row.worker.id, sheet.first_date(row)),
                taught.get(row.worker.id),
            )
        )
    return list(groups.values())


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_since(start: date | None, day: date) -> int | None:
    """経験年数 as far as the project knows it: whole years since 雇入年月日."""
    return age_on(start, day)


def _cells(number: int, line: RosterLine, as_of: date) -> list[object]:
    w = line.worker
    return [
        number,
        w.name_kana or "",
        w.name,
        w.trade or "",
        "",  # 立場 marks (職長, 安全衛生責任者, …): not held by the project
        w.ccus_worker_id or "",
        w.hired_on,
        years_since(w.hired_on, as_of),
        w.birth_date,
        age_on(w.birth_date, as_of),
        "",  # 現住所
        "",  # 現住所 TEL
        w.emergency_contact or "",
        "",  # 健康診断日
        "",  # 血圧
        "",  # 特殊健康診断
        w.health_insurance or "",
        w.pension_insurance or "",
        w.employment_insurance or "",
        "建退共" if w.kentaikyo else "",
        "、".join(w.qualifications or []),
        line.first_day,
        line.induction_on,
    ]


def roster_xlsx(
    site_name: str,
    prime_name: str,
    month_label: str,
    companies: list[RosterCompany],
    as_of: date,
) -> bytes:
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="1F3A5F")
    if not companies:
        ws = book.create_sheet("作業員名簿")
        ws.cell(row=1, column=1, value=f"作業員名簿　{month_label}: この月の入場者はいません")
        print_setup(ws, paper=PAPER_A3)
    used: set[str] = set()
    for group in companies:
        title = _sheet_title(group.company.name, used)
        ws = book.create_sheet(title)
        ws.cell(row=1, column=1, value="作業員名簿").font = Font(bold=True, size=16)
        ws.cell(row=1, column=8, value="（全建統一様式第5号）").font = Font(size=9)
        meta = [
            ("事業所の名称", neutralise(site_name)),
            ("元請", neutralise(prime_name)),
            (
                f"{tier_name(group.tier) or '次数未定'}会社名",
                neutralise(group.company.name),
            ),
            ("上位の会社", neutralise(group.parent_name or "")),
            ("対象月", month_label),
            ("作成日", as_of.isoformat()),
        ]
        for i, (label, value) in enumerate(meta):
            row, col = 2 + i // 3, 1 + (i % 3) * 6
            ws.cell(row=row, column=col, value=label).font = Font(bold=True, size=9)
            ws.cell(row=row, column=col + 2, value=value)
        header_row = 5
        for col, (text, width) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=header_row, column=col, value=text)
            cell.font = Font(bold=True, color="FFFFFF", size=9)
            cell.fill = head_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.row_dimensions[header_row].height = 32
        for n, line in enumerate(group.lines, start=1):
            for col, value in enumerate(_cells(n, line, as_of), start=1):
                cell = ws.cell(row=header_row + n, column=col, value=neutralise(value))
                cell.border = border
                if isinstance(value, date):
                    cell.number_format = "yyyy/mm/dd"
                if isinstance(value, str):
                    cell.data_type = "s"
        ws.freeze_panes = ws.cell(row=header_row + 1, column=4)
        print_setup(ws, paper=PAPER_A3, landscape=True, header_rows=f"{header_row}:{header_row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    """Excel: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:28] or "会社"
    title, n = clean, 2
    while title in used:
        title = f"{clean[:26]}({n})"
        n += 1
    used.add(title)
    return title
