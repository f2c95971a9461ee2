"""Builders for pre-registration CSV files as people and Excel write them, and a runner of
`genba-call import` against the test app."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voice_app.cli.group import cli
from workers_db.models import Card, Company, Phone, Worker

HEADER = [
    "company",
    "company_ccus_id",
    "sole_proprietor",
    "worker",
    "worker_kana",
    "worker_ccus_id",
    "phone",
    "card_uid",
    "language",
    "pin",
]
JAPANESE_HEADER = [
    "会社名",
    "事業者ID",
    "一人親方",
    "氏名",
    "フリガナ",
    "技能者ID",
    "電話番号",
    "カードID",
    "言語",
    "PIN",
]
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def csv_bytes(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = HEADER,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> bytes:
    """`encoding` "utf-8-sig" writes a BOM, "cp932" what Excel in Japan writes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def excel_cp932(rows: Sequence[Sequence[str]], header: Sequence[str] = JAPANESE_HEADER) -> bytes:
    """As Excel's 'CSV (コンマ区切り)' saves it in Japan: CP932, CRLF."""
    return csv_bytes(rows, header, encoding="cp932", newline="\r\n")


def mobile(n: int) -> str:
    """A distinct valid Japanese mobile number per n, written the usual way."""
    number = 10_000_000 + n
    return f"090-{number // 10_000:04d}-{number % 10_000:04d}"


def worker_row(
    n: int,
    company: str = "山田建設株式会社",
    company_ccus_id: str = "12345678901234",
    **overrides: str,
) -> list[str]:
    cells = {
        "company": company,
        "company_ccus_id": company_ccus_id,
        "sole_proprietor": "",
        "worker": f"作業員 {n}",
        "worker_kana": f"サギョウイン {n}",
        "worker_ccus_id": f"{20_000_000_000_000 + n}",
        "phone": mobile(n),
        "card_uid": f"01{n:014X}",
        "language": "ja",
        "pin": "",
    }
    cells.update(overrides)
    return [cells[c] for c in HEADER]


def write(tmp_path: Path, data: bytes, name: str = "workers.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_import(runner: FlaskCliRunner, path: Path, *options: str) -> Result:
    return runner.invoke(cli, ["import", str(path), *options])


def counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Company, Worker, Phone, Card)
    }
