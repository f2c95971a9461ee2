"""Reading a pre-registration CSV (docs/import.md): decoding, header names, and each row's cells.

This module touches no database.  It turns the file's bytes into `ParsedRow`s with normalised
values (E.164 phones, canonical card ids, 14-digit CCUS ids) and a list of `RowProblem`s, one
per bad cell, numbered as Excel numbers rows (the header is row 1).  `workers_db.importer`
checks the rows against each other and the database and writes them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from workers_db.identifiers import (
    InvalidIdentifier,
    canonical_card_uid,
    normalize_ccus_id,
    normalize_phone,
)
from workers_db.registration import LANGUAGES, PIN_DIGITS

TEMPLATE_PATH = Path(__file__).parent / "templates" / "import_template.csv"

COLUMNS = (
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
)
REQUIRED_COLUMNS = ("company", "worker")
# Japanese header names accepted for each column (docs/import.md lists them).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "company": ("会社名", "会社", "事業者名", "所属会社"),
    "company_ccus_id": ("事業者ID", "事業者番号"),
    "sole_proprietor": ("一人親方",),
    "worker": ("氏名", "技能者名", "名前"),
    "worker_kana": ("フリガナ", "カナ", "ふりがな", "氏名カナ", "氏名フリガナ"),
    "worker_ccus_id": ("技能者ID", "技能者番号"),
    "phone": ("電話番号", "携帯電話", "携帯番号", "電話"),
    "card_uid": ("カードID", "カードUID"),
    "language": ("言語",),
    "pin": ("PIN", "暗証番号"),
}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "はい", "○", "〇", "◯", "有"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "いいえ", "×", "✕", "x", "無"})
LANGUAGE_NAMES = {
    "日本語": "ja",
    "japanese": "ja",
    "英語": "en",
    "english": "en",
    "ベトナム語": "vi",
    "vietnamese": "vi",
    "中国語": "zh",
    "chinese": "zh",
    "インドネシア語": "id",
    "indonesian": "id",
    "タガログ語": "tl",
    "フィリピノ語": "tl",
    "tagalog": "tl",
    "filipino": "tl",
    "タイ語": "th",
    "thai": "th",
    "ネパール語": "ne",
    "nepali": "ne",
    "ミャンマー語": "my",
    "burmese": "my",
    "ポルトガル語": "pt",
    "portuguese": "pt",
}
MULTI_VALUE_SEPARATOR = re.compile(r"[;；]")
_EXCEL_NUMBER = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)
_EXCEL_TEXT_HINT = "Excel turned it into a number: format the column as text (文字列) and retype"


# The per-row problem collector handed to the cell parsers: bad(column, message).
_Bad = Callable[[str, str], None]
_Parser = Callable[[str], str]


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, no header); `str()` says why."""


@dataclass(frozen=True, order=True)
class RowProblem:
    """One bad cell: printed as `row N: column: problem` (N as Excel numbers the row)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.line}: {self.column}: {self.message}"


@dataclass(slots=True)
class ParsedRow:
    """One data row with normalised values; cells that failed to parse are empty/None."""

    line: int
    company: str
    company_ccus_id: str | None
    sole_proprietor: bool
    worker: str
    worker_kana: str | None
    worker_ccus_id: str | None
    phones: list[str]
    cards: list[str]
    language: str
    pin: str | None
    bad_columns: set[str] = field(default_factory=set)  # canonical names of unreadable cells

    def readable(self, *columns: str) -> bool:
        """True when none of `columns` failed to parse (cross-row checks skip the rest)."""
        return not self.bad_columns.intersection(columns)


@dataclass
class ParsedFile:
    encoding: str
    labels: dict[str, str]  # canonical column → the header as written in the file
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding: UTF-8 (with or without BOM), else CP932."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            "the file is UTF-16 (Excel's 'Unicode テキスト'); save it as "
            "'CSV UTF-8 (コンマ区切り)' or 'CSV (コンマ区切り)'"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text, "UTF-8 (BOM)" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    try:
        return data.decode("cp932"), "CP932"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is neither UTF-8 nor CP932 (Shift_JIS): byte 0x{data[exc.start]:02X} "
            f"at offset {exc.start} cannot be read; save it from Excel as CSV"
        ) from exc


def header_key(name: str) -> str:
    """How header names are compared: NFKC, case-insensitive, spaces, `_` and `-` ignored."""
    folded = unicodedata.normalize("NFKC", name).lower()
    return re.sub(r"[\s_\-]", "", folded)


_ALIAS_TO_COLUMN = {header_key(c): c for c in COLUMNS} | {
    header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases
}


def read_header(cells: list[str]) -> tuple[dict[int, str], dict[str, str], list[RowProblem]]:
    """Map each cell index to its column; problems are reported on row 1."""
    index: dict[int, str] = {}
    labels: dict[str, str] = {}
    problems: list[RowProblem] = []
    for position, raw in enumerate(cells):
        written = raw.strip()
        if not written:
            continue  # an unnamed column: its cells must stay empty (checked per row)
        column = _ALIAS_TO_COLUMN.get(header_key(written))
        if column is None:
            problems.append(
                RowProblem(
                    1,
                    written,
                    "unknown column (known: " + ", ".join(COLUMNS) + "; see docs/import.md)",
                )
            )
        elif column in labels:
            problems.append(
                RowProblem(1, written, f"the same column as {labels[column]!r}; keep one of them")
            )
        else:
            index[position] = column
            labels[column] = written
    for column in REQUIRED_COLUMNS:
        if column not in labels:
            problems.append(RowProblem(1, column, "required column is missing"))
    return index, labels, problems


def parse_bytes(data: bytes, tick: Callable[[int], object] | None = None) -> ParsedFile:
    """Decode and parse a whole file; every row is kept, each bad cell is one problem.
    `tick(n)` is called as rows are read (for a progress bar)."""
    text, encoding = decode(data)
    return parse_text(text, encoding, tick)


def count_lines(data: bytes) -> int:
    """Data rows to expect (physical lines minus the header), for a progress bar's total."""
    return max(data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1), 0)


def parse_text(
    text: str, encoding: str = "UTF-8", tick: Callable[[int], object] | None = None
) -> ParsedFile:
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(records)
    except StopIteration:
        raise ImportFileError("the file is empty: the first row must name the columns") from None
    except csv.Error as exc:
        raise ImportFileError(f"row 1: the header row is not valid CSV ({exc})") from exc
    index, labels, problems = read_header(header)
    parsed = ParsedFile(encoding=encoding, labels=labels, problems=problems)
    if problems:
        return parsed
    for line, cells in _numbered(records, parsed):
        if tick is not None:
            tick(1)
        if not any(c.strip() for c in cells):
            continue  # Excel leaves blank rows at the end; they are not data
        row, row_problems = parse_row(line, cells, index, parsed)
        parsed.rows.append(row)
        parsed.problems.extend(row_problems)
    return parsed


def _numbered(records: Iterator[list[str]], parsed: ParsedFile) -> Iterator[tuple[int, list[str]]]:
    """Records numbered from 2, as Excel numbers rows (a quoted multi-line cell is one row)."""
    line = 1
    while True:
        line += 1
        try:
            cells = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            parsed.problems.append(RowProblem(line, "(row)", f"not valid CSV ({exc})"))
            return
        yield line, cells


def parse_row(
    line: int, cells: list[str], index: dict[int, str], parsed: ParsedFile
) -> tuple[ParsedRow, list[RowProblem]]:
    problems: list[RowProblem] = []
    values: dict[str, str] = {}
    for position, cell in enumerate(cells):
        column = index.get(position)
        if column is not None:
            values[column] = cell.strip()
        elif cell.strip():
            problems.append(
                RowProblem(line, f"(column {position + 1})", "a value in a column with no header")
            )

    bad_columns: set[str] = set()

    def bad(column: str, message: str) -> None:
        bad_columns.add(column)
        problems.append(RowProblem(line, parsed.label(column), message))

    company = values.get("company", "")
    if not company:
        bad("company", "required")
    worker = values.get("worker", "")
    if not worker:
        bad("worker", "required")
    kana = unicodedata.normalize("NFKC", values.get("worker_kana", "")).strip() or None
    row = ParsedRow(
        line=line,
        company=company,
        company_ccus_id=_ccus(
            values.get("company_ccus_id", ""), "事業者ID", "company_ccus_id", bad
        ),
        sole_proprietor=_boolean(values.get("sole_proprietor", ""), "sole_proprietor", bad),
        worker=worker,
        worker_kana=kana,
        worker_ccus_id=_ccus(values.get("worker_ccus_id", ""), "技能者ID", "worker_ccus_id", bad),
        phones=_many(values.get("phone", ""), "phone", normalize_phone, bad),
        cards=_many(values.get("card_uid", ""), "card_uid", canonical_card_uid, bad),
        language=_language(values.get("language", ""), bad),
        pin=_pin(values.get("pin", ""), bad),
    )
    row.bad_columns = bad_columns
    return row, problems


def _ccus(value: str, what: str, column: str, bad: _Bad) -> str | None:
    if _EXCEL_NUMBER.match(value):
        bad(column, f"{value!r}: {_EXCEL_TEXT_HINT}")
        return None
    try:
        return normalize_ccus_id(value, what)
    except InvalidIdentifier as exc:
        bad(column, str(exc))
        return None


def _boolean(value: str, column: str, bad: _Bad) -> bool:
    word = unicodedata.normalize("NFKC", value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        bad(column, f"{value!r}: write 1/0, true/false, yes/no, はい/いいえ or ○/×")
    return False


def _many(value: str, column: str, parse: _Parser, bad: _Bad) -> list[str]:
    """Several values in one cell separated by `;` (full-width `；` too)."""
    out: list[str] = []
    for part in MULTI_VALUE_SEPARATOR.split(value):
        if not part.strip():
            continue
        if _EXCEL_NUMBER.match(part.strip()):
            bad(column, f"{part.strip()!r}: {_EXCEL_TEXT_HINT}")
            continue
        try:
            normalised = parse(part)
        except InvalidIdentifier as exc:
            bad(column, str(exc))
            continue
        if normalised in out:
            bad(column, f"{normalised} is written twice in this cell")
        else:
            out.append(normalised)
    return out


def _language(value: str, bad: _Bad) -> str:
    word = unicodedata.normalize("NFKC", value).strip().lower()
    if not word:
        return "ja"
    code = LANGUAGE_NAMES.get(word) or word.split("-")[0].split("_")[0]
    if code not in LANGUAGES:
        bad("language", f"{value!r}: use one of {', '.join(LANGUAGES)} (or 日本語, 英語, …)")
        return "ja"
    return code


def _pin(value: str, bad: _Bad) -> str | None:
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    low, high = PIN_DIGITS
    if not text.isdigit() or not text.isascii():
        bad("pin", f"must be {low} to {high} digits")
        return None
    if len(text) < low:
        bad("pin", f"must be {low} to {high} digits (Excel drops leading zeros: format as text)")
        return None
    if len(text) > high:
        bad("pin", f"must be {low} to {high} digits")
        return None
    return text
