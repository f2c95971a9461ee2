"""The importer's rules below the CLI: cell parsing, row numbering, a race while writing,
progress reporting, the embedded (non-PostgreSQL) insert path's callers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.import_csv import (
    ImportFileError,
    decode,
    header_key,
    parse_bytes,
    parse_text,
)
from workers_db.importer import ImportConflict, import_csv, plan_import, write_plan
from workers_db.models import AuditEntry, Phone, Worker
from workers_db.registration import create_worker

from .helpers import make_company
from .import_support import HEADER, JAPANESE_HEADER, csv_bytes, mobile, worker_row


@pytest.mark.parametrize(
    ("written", "column"),
    [(" 事業者ＩＤ ", "事業者ID"), ("Worker_Kana", "worker_kana"), ("card uid", "card_uid"),
     ("COMPANY-CCUS-ID", "company_ccus_id")],
)  # fmt: skip
def test_header_keys_ignore_case_width_and_separators(written: str, column: str) -> None:
    assert header_key(written) == header_key(column)


def test_japanese_headers_map_to_the_contract_columns() -> None:
    parsed = parse_text(",".join(JAPANESE_HEADER) + "\n")
    assert parsed.problems == []
    assert list(parsed.labels) == HEADER


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1", True), ("TRUE", True), ("はい", True), ("○", True), ("〇", True), ("yes", True),
     ("0", False), ("false", False), ("いいえ", False), ("×", False), ("", False), ("No", False)],
)  # fmt: skip
def test_boolean_cells(cell: str, value: bool) -> None:
    parsed = parse_bytes(csv_bytes([worker_row(1, sole_proprietor=cell)]))
    assert parsed.problems == [] and parsed.rows[0].sole_proprietor is value


@pytest.mark.parametrize(
    ("cell", "code"), [("", "ja"), ("日本語", "ja"), ("VI", "vi"), ("ベトナム語", "vi"),
                       ("en-US", "en"), ("Portuguese", "pt")]
)  # fmt: skip
def test_language_cells(cell: str, code: str) -> None:
    parsed = parse_bytes(csv_bytes([worker_row(1, language=cell)]))
    assert parsed.problems == [] and parsed.rows[0].language == code


def test_rows_are_numbered_as_excel_numbers_them() -> None:
    # A quoted cell spanning two lines is one row; blank rows are skipped but keep their number.
    text = (
        ",".join(HEADER)
        + "\n"
        + ",".join(worker_row(1))
        + "\n"
        + ",,,,,,,,,\n"
        + '"山田建設株式会社","12345678901234",,"作業員\n2",,,090-1234,,,\n'
    )
    parsed = parse_text(text)
    assert [row.line for row in parsed.rows] == [2, 4]
    assert [str(p) for p in parsed.problems] == [
        "row 4: phone: '090-1234' has the wrong number of digits (7) for a phone number"
    ]


def test_a_value_under_no_header_is_not_dropped() -> None:
    text = ",".join(HEADER) + ",\n" + ",".join(worker_row(1)) + ",メモ\n"
    parsed = parse_text(text)
    assert [str(p) for p in parsed.problems] == ["row 2: a value in column 11, which has no header"]


def test_decode_prefers_utf8_then_cp932() -> None:
    assert decode("会社".encode()) == ("会社", "UTF-8")
    assert decode("会社".encode("cp932")) == ("会社", "CP932")
    with pytest.raises(ImportFileError):
        decode(b"\x81\xff")


def test_a_registration_racing_the_write_is_a_conflict(db_session: Session) -> None:
    """The check passed, then someone registered the same phone before the COPY: the unique
    constraint decides, nothing of the file is written and the session stays usable."""
    rows = [worker_row(n) for n in range(3)]
    plan = plan_import(db_session, parse_bytes(csv_bytes(rows)))
    assert plan.problems == []
    company = make_company(db_session, "割込工業")
    racer = create_worker(db_session, "割込 次郎", company.id, phones=[mobile(2)])
    with pytest.raises(ImportConflict) as info:
        write_plan(db_session, plan)
    assert str(info.value).startswith("phone: registered by someone else")
    owners = db_session.scalars(select(Phone.worker_id).where(Phone.e164 == "+819010000002"))
    assert list(owners) == [racer.id]
    assert db_session.scalar(select(Worker.id).where(Worker.name == "作業員 0")) is None


@dataclass
class _Recorded:
    description: str
    total: int
    done: int = 0
    closed: bool = False

    def update(self, n: int = 1) -> object:
        self.done += n
        return None

    def close(self) -> None:
        self.closed = True


@dataclass
class _Recorder:
    bars: list[_Recorded] = field(default_factory=list)

    def __call__(self, description: str, total: int) -> _Recorded:
        self.bars.append(_Recorded(description, total))
        return self.bars[-1]


def test_progress_is_reported_for_each_phase(db_session: Session) -> None:
    rows = [worker_row(n, card_uid="", worker_ccus_id="") for n in range(1500)]
    recorder = _Recorder()
    report = import_csv(db_session, csv_bytes(rows), progress=recorder, source_name="big.csv")
    assert report.written and report.workers_new == 1500
    phases = {bar.description.split()[-1]: bar for bar in recorder.bars}
    assert set(phases) == {"reading", "checking", "writing"}
    assert phases["reading"].done == phases["reading"].total == 1500
    assert phases["checking"].done == 1500
    assert phases["writing"].done == phases["writing"].total == 1 + 1500 + 1500
    assert all(bar.closed for bar in recorder.bars)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry is not None and entry.detail["workers_new"] == 1500
    assert entry.detail["file"] == "big.csv"


def test_two_companies_of_one_name_need_an_id(db_session: Session) -> None:
    make_company(db_session, "同名建設")
    make_company(db_session, "同名建設")
    parsed = parse_bytes(csv_bytes([worker_row(1, company="同名建設", company_ccus_id="")]))
    plan = plan_import(db_session, parsed)
    assert [p.column for p in plan.problems] == ["company_ccus_id"]
    assert plan.problems[0].code == "import.company_ambiguous"
    assert "2 companies named '同名建設'" in plan.problems[0].text("en")
    assert "「同名建設」という会社が2社登録されています" in plan.problems[0].text("ja")


def test_a_worker_is_not_moved_to_another_company(db_session: Session) -> None:
    company = make_company(db_session, "元の会社")
    create_worker(db_session, "作業員 1", company.id, ccus_worker_id="20000000000001")
    plan = plan_import(db_session, parse_bytes(csv_bytes([worker_row(1)])))
    assert [p.column for p in plan.problems] == ["worker_ccus_id"]
    assert "does not move workers" in plan.problems[0].text("en")
