"""Reading a pre-registration CSV (docs/import.md): decoding, header names, and each row's cells.

This module touches no database.  It turns the file's bytes into `ParsedRow`s with normalised
values (E.164 phones, canonical card ids, 14-digit CCUS ids, names by `clean_text`, フリガナ in
katakana) and a list of `RowProblem`s, one per bad cell, numbered as Excel numbers rows (the
header is row 1), each a catalogue code rendered in the reader's language.  `workers_db.importer`
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

from workers_db.csv_text import ImportFileError, decode
from workers_db.errors import FieldProblem, Params
from workers_db.identifiers import (
    InvalidIdentifier,
    canonical_card_uid,
    normalize_ccus_id,
    normalize_phone,
)
from workers_db.messages import DEFAULT_LANG, column_label, message, render
from workers_db.profile import WORKER_FIELDS, parse_fields
from workers_db.registration import LANGUAGES, PIN_DIGITS, pin_is_valid
from workers_db.text import clean_text, optional_kana

TEMPLATE_PATH = Path(__file__).parent / "templates" / "import_template.csv"
PROFILE_COLUMNS = tuple(f.name for f in WORKER_FIELDS)
_PROFILE_ALIASES = {"qualifications": ("資格・免許", "免許"), "emergency_contact": ("家族連絡先",)}

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
    *PROFILE_COLUMNS,  # the roster's fields, all optional (docs/documents.md)
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
    **{f.name: (f.ja, *_PROFILE_ALIASES.get(f.name, ())) for f in WORKER_FIELDS},
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


# The per-row problem collector handed to the cell parsers: bad(column, code, params).
_Bad = Callable[[str, str, Params], None]
_Parser = Callable[[str], str]


@dataclass(frozen=True)
class RowProblem:
    """One bad cell: shown as `row N: column: problem` (N as Excel numbers the row), in the
    reader's language.  `column` is the canonical column (None: the row as a whole)."""

    line: int
    column: str | None
    code: str
    params: Params = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.line, self.column, self.code, tuple(sorted(self.params.items()))))

    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.line, self.column or "", self.code, repr(sorted(self.params.items())))

    def text(self, lang: str = DEFAULT_LANG) -> str:
        problem = render(self, lang)
        if self.column is None:
            return message("line.row_only", lang, {"line": self.line, "problem": problem})
        column = column_label(self.column, lang)
        return message("line.row", lang, {"line": self.line, "column": column, "problem": problem})

    def __str__(self) -> str:
        return self.text()


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
    profile: dict[str, object] = field(default_factory=dict)  # roster fields given in the row

    def readable(self, *columns: str) -> bool:
        """True when none of `columns` failed to parse (cross-row checks skip the rest)."""
        return not self.bad_columns.intersection(columns)


@dataclass
class ParsedFile:
    encoding: str
    labels: dict[str, str]  # canonical column → the header as written in the file
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


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
            known = ", ".join(COLUMNS)
            params = {"header": written, "known": known}
            problems.append(RowProblem(1, "header", "csv.unknown_column", params))
        elif column in labels:
            params = {"header": written, "other": labels[column]}
            problems.append(RowProblem(1, "header", "csv.same_column", params))
        else:
            index[position] = column
            labels[column] = written
    for column in REQUIRED_COLUMNS:
        if column not in labels:
            problems.append(RowProblem(1, column, "csv.missing_column"))
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
        raise ImportFileError("csv.empty") from None
    except csv.Error as exc:
        raise ImportFileError("csv.bad_header", {"detail": str(exc)}) from exc
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
            parsed.problems.append(RowProblem(line, None, "csv.bad_row", {"detail": str(exc)}))
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
            params = {"position": position + 1}
            problems.append(RowProblem(line, None, "csv.cell_without_header", params))

    bad_columns: set[str] = set()

    def bad(column: str, code: str, params: Params | None = None) -> None:
        bad_columns.add(column)
        problems.append(RowProblem(line, column, code, params or {}))

    company = clean_text(values.get("company"))
    if not company:
        bad("company", "required")
    worker = clean_text(values.get("worker"))
    if not worker:
        bad("worker", "required")
    row = ParsedRow(
        line=line,
        company=company,
        company_ccus_id=_ccus(values.get("company_ccus_id", ""), "company_ccus_id", bad),
        sole_proprietor=_boolean(values.get("sole_proprietor", ""), "sole_proprietor", bad),
        worker=worker,
        worker_kana=optional_kana(values.get("worker_kana")),
        worker_ccus_id=_ccus(values.get("worker_ccus_id", ""), "worker_ccus_id", bad),
        phones=_many(values.get("phone", ""), "phone", normalize_phone, bad),
        cards=_many(values.get("card_uid", ""), "card_uid", canonical_card_uid, bad),
        language=_language(values.get("language", ""), bad),
        pin=_pin(values.get("pin", ""), bad),
    )
    field_problems: list[FieldProblem] = []
    given = {c: values[c] for c in PROFILE_COLUMNS if values.get(c)}
    row.profile = dict(parse_fields(given, WORKER_FIELDS, field_problems))
    for problem in field_problems:
        bad(problem.field or "", problem.code, problem.params)
    row.bad_columns = bad_columns
    return row, problems


def _ccus(value: str, column: str, bad: _Bad) -> str | None:
    if _EXCEL_NUMBER.match(value):
        bad(column, "csv.excel_number", {"value": value})
        return None
    try:
        return normalize_ccus_id(value)
    except InvalidIdentifier as exc:
        bad(column, exc.code, exc.params)
        return None


def _boolean(value: str, column: str, bad: _Bad) -> bool:
    word = unicodedata.normalize("NFKC", value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        bad(column, "import.boolean", {"value": value})
    return False


def _many(value: str, column: str, parse: _Parser, bad: _Bad) -> list[str]:
    """Several values in one cell separated by `;` (full-width `；` too)."""
    out: list[str] = []
    for part in MULTI_VALUE_SEPARATOR.split(value):
        if not part.strip():
            continue
        if _EXCEL_NUMBER.match(part.strip()):
            bad(column, "csv.excel_number", {"value": part.strip()})
            continue
        try:
            normalised = parse(part)
        except InvalidIdentifier as exc:
            bad(column, exc.code, exc.params)
            continue
        if normalised in out:
            bad(column, "csv.written_twice", {"value": normalised})
        else:
            out.append(normalised)
    return out


def _language(value: str, bad: _Bad) -> str:
    word = unicodedata.normalize("NFKC", value).strip().lower()
    if not word:
        return "ja"
    code = LANGUAGE_NAMES.get(word) or word.split("-")[0].split("_")[0]
    if code not in LANGUAGES:
        bad("language", "import.language", {"value": value, "choices": ", ".join(LANGUAGES)})
        return "ja"
    return code


def _pin(value: str, bad: _Bad) -> str | None:
    text = unicodedata.normalize("NFKC", value).strip()
    if pin_is_valid(text):
        return text or None
    low, high = PIN_DIGITS
    # Digits but too few: Excel dropped the leading zeros of a number-formatted cell.
    short = text.isascii() and text.isdigit() and len(text) < low
    bad("pin", "pin.leading_zeros" if short else "pin.digits", {"min": low, "max": high})
    return None
