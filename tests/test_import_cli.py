"""`genba-call init-db` and `genba-call import` on PostgreSQL: Excel's CP932, BOM UTF-8,
all or nothing, every bad row named, dry run, re-import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from workers_db.import_csv import TEMPLATE_PATH
from workers_db.models import Card, Company, Phone, Worker
from workers_db.registration import create_worker, verify_secret

from .conftest import TEST_REDIS_URL
from .databases import drop_database, recreate_database
from .helpers import make_company
from .import_support import (
    FULL_WIDTH,
    HEADER,
    counts,
    csv_bytes,
    excel_cp932,
    mobile,
    run_import,
    worker_row,
    write,
)

GENBA_CALL = str(Path(sys.executable).parent / "genba-call")


def test_init_db_twice_in_a_row_succeeds(engine: Engine, tmp_path: Path) -> None:
    url = make_url(engine.url.render_as_string(hide_password=False))
    scratch = url.set(database=f"{url.database}_initdb")
    scratch_url = scratch.render_as_string(hide_password=False)
    recreate_database(scratch_url)
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "REDIS_URL": TEST_REDIS_URL,
        "GENBA_INSTANCE": str(tmp_path / "instance"),
    }
    try:
        first = subprocess.run([GENBA_CALL, "init-db"], env=env, capture_output=True, text=True)
        second = subprocess.run([GENBA_CALL, "init-db"], env=env, capture_output=True, text=True)
        assert first.returncode == 0, first.stderr
        assert "migrated" in first.stdout
        assert second.returncode == 0, second.stderr
        assert "already at the newest revision" in second.stdout
    finally:
        drop_database(scratch_url)


def test_excel_cp932_file_with_full_width_phones_imports(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    rows = [
        ["山田建設株式会社", "12345678901234", "いいえ", "山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "",
         "０９０－１２３４－５６７８", "01:2E:3F:4A:5B:6C:7D:8E", "日本語", "0123"],
        ["山田建設株式会社", "12345678901234", "いいえ", "グエン ヴァン アン", "", "",
         "０８０－２３４５－６７８９；03-1234-5678", "", "vi", ""],
        ["鈴木 一郎", "", "○", "鈴木 一郎", "スズキ イチロウ", "９８７６５４３２１０９８７６",
         "+81 70 3456 7890", "", "", ""],
    ]  # fmt: skip
    data = excel_cp932(rows)
    assert b"\r\n" in data and "０９０".encode("cp932") in data
    result = run_import(runner, write(tmp_path, data))
    assert result.exit_code == 0, result.output
    assert "CP932" in result.stdout
    yamada = db_session.scalar(select(Worker).where(Worker.name == "山田 太郎"))
    assert yamada is not None
    assert [p.e164 for p in yamada.phones] == ["+819012345678"]
    assert [c.uid for c in yamada.cards] == ["F:012E3F4A5B6C7D8E"]
    assert yamada.name_kana == "ヤマダ タロウ"  # half-width kana folded
    assert verify_secret(yamada.pin_hash, "0123")
    nguyen = db_session.scalar(select(Worker).where(Worker.name == "グエン ヴァン アン"))
    assert nguyen is not None and nguyen.language == "vi"
    assert sorted(p.e164 for p in nguyen.phones) == ["+81312345678", "+818023456789"]
    assert nguyen.company_id == yamada.company_id  # the company repeats on each row: one company
    suzuki = db_session.scalar(select(Worker).where(Worker.name == "鈴木 一郎"))
    assert suzuki is not None and suzuki.ccus_worker_id == "98765432109876"
    assert suzuki.company.sole_proprietor and suzuki.company.ccus_business_id is None


def test_one_bad_row_among_a_thousand_writes_nothing_and_names_it(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    rows = [worker_row(n) for n in range(1001)]
    rows[500] = worker_row(500, phone="090-1234")  # data row 501 → Excel row 502
    before = counts(db_session)
    result = run_import(runner, write(tmp_path, excel_cp932(rows, HEADER)))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert len(lines) == 1
    assert lines[0].startswith("row 502: phone: ")
    assert "wrong number of digits" in lines[0]
    assert "nothing was written" in result.stderr
    assert counts(db_session) == before


def test_bom_utf8_with_loose_header_spelling(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    header = [" Company ", "COMPANY_CCUS_ID", "Sole Proprietor", "worker", "Worker Kana",
              "技能者ＩＤ", "Phone", "card-uid", "language", "PIN"]  # fmt: skip
    data = csv_bytes([worker_row(1), worker_row(2)], header, encoding="utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")
    result = run_import(runner, write(tmp_path, data))
    assert result.exit_code == 0, result.output
    assert "UTF-8 (BOM)" in result.stdout
    names = set(db_session.scalars(select(Worker.name).where(Worker.name.like("作業員 %"))))
    assert names == {"作業員 1", "作業員 2"}


def test_dry_run_checks_and_writes_nothing(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    before = counts(db_session)
    path = write(tmp_path, csv_bytes([worker_row(n) for n in range(5)]))
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nothing written" in result.stdout
    assert "workers: 5 would add" in result.stdout
    assert "companies: 1 would add" in result.stdout
    assert counts(db_session) == before
    bad = write(tmp_path, csv_bytes([worker_row(1, pin="12")]), "bad.csv")
    result = run_import(runner, bad, "--dry-run")
    assert result.exit_code == 1 and "row 2: pin: " in result.stderr


def test_reimport_adds_nothing_and_new_phones_join_their_worker(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    rows = [worker_row(n) for n in range(3)]
    rows.append(worker_row(3, worker_ccus_id="", card_uid=""))  # known by its phone
    rows.append(worker_row(4, worker_ccus_id="", card_uid="", phone=""))  # by company and name
    path = write(tmp_path, csv_bytes(rows))
    assert run_import(runner, path).exit_code == 0
    after_first = counts(db_session)
    again = run_import(runner, path)
    assert again.exit_code == 0, again.output
    assert "workers: 0 added, 5 already registered" in again.stdout
    assert counts(db_session) == after_first
    rows[0] = worker_row(0, phone=f"{mobile(0)};{mobile(100)}")
    more = run_import(runner, write(tmp_path, csv_bytes(rows), "more.csv"))
    assert more.exit_code == 0, more.output
    assert "phones: 1 added" in more.stdout
    owner = db_session.scalar(select(Phone.worker_id).where(Phone.e164 == "+819010000100"))
    first = db_session.scalar(select(Phone.worker_id).where(Phone.e164 == "+819010000000"))
    assert owner == first


def test_phone_or_card_of_another_worker_is_refused(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    company = make_company(db_session, "既存工業")
    other = create_worker(
        db_session, "既存 花子", company.id, phones=["090-1000-0001"], card_uids=["A:04A1B2C3"]
    )
    db_session.flush()
    rows = [
        worker_row(1),  # 090-1000-0001: 既存 花子's phone
        worker_row(2, card_uid="04-a1-b2-c3"),  # her card, spelled differently
    ]
    before = counts(db_session)
    result = run_import(runner, write(tmp_path, csv_bytes(rows)))
    assert result.exit_code == 1
    assert f"row 2: phone: +819010000001 already belongs to worker {other.id}" in result.stderr
    assert f"row 3: card_uid: A:04A1B2C3 already belongs to worker {other.id}" in result.stderr
    assert counts(db_session) == before


def test_every_bad_row_is_listed(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    rows = [
        worker_row(1),
        worker_row(2, phone=mobile(1)),  # row 3: phone of row 2
        worker_row(3, card_uid=f"01{1:014X}"),  # row 4: card of row 2
        worker_row(4, worker_ccus_id=f"{20_000_000_000_000 + 1}"),  # row 5: 技能者ID of row 2
        worker_row(5, company_ccus_id="99999999999999"),  # row 6: 山田建設 with another id
        worker_row(6, worker_ccus_id="1.23457E+13"),  # row 7: Excel's scientific notation
        worker_row(7, language="klingon", pin="12a4"),  # row 8: two bad cells
        worker_row(8, worker=""),  # row 9: no name
        worker_row(9, company_ccus_id="1234"),  # row 10: short 事業者ID
        worker_row(10, sole_proprietor="たぶん"),  # row 11
        worker_row(11, card_uid="xyz"),  # row 12
    ]
    before = counts(db_session)
    result = run_import(runner, write(tmp_path, csv_bytes(rows)))
    assert result.exit_code == 1
    err = result.stderr
    for expected in [
        "row 3: phone: +819010000001 is also on row 2",
        "row 4: card_uid: F:0100000000000001 is also on row 2",
        "row 5: worker_ccus_id: 技能者ID 20000000000001 is also on row 2",
        "row 6: company_ccus_id: '山田建設株式会社' has 12345678901234 on row 2",
        "row 7: worker_ccus_id: '1.23457E+13': Excel turned it into a number",
        "row 8: language: 'klingon'",
        "row 8: pin: must be 4 to 8 digits",
        "row 9: worker: required",
        "row 10: company_ccus_id: '1234' has 4 digits, not 14",
        "row 11: sole_proprietor: 'たぶん'",
        "row 12: card_uid: 'xyz' is not hexadecimal",
    ]:
        assert expected in err, f"{expected!r} not in:\n{err}"
    assert "10 bad row(s) of 11" in err
    assert counts(db_session) == before


def test_header_problems_are_row_one(runner: FlaskCliRunner, tmp_path: Path) -> None:
    data = csv_bytes([["a", "b", "c"]], ["会社名", "電話", "phnoe"])
    result = run_import(runner, write(tmp_path, data))
    assert result.exit_code == 1
    assert "row 1: header: 'phnoe': unknown column" in result.stderr
    assert "row 1: worker: required column is missing" in result.stderr


def test_unreadable_file_is_a_clear_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = run_import(runner, write(tmp_path, b"company,worker\n\x81\xff\xfe,x\n"))
    assert result.exit_code == 1
    assert "neither UTF-8 nor CP932" in result.stderr
    utf16 = run_import(runner, write(tmp_path, "会社名\tworker\n".encode("utf-16"), "u16.csv"))
    assert utf16.exit_code == 1 and "UTF-16" in utf16.stderr


def test_the_downloadable_template_is_a_valid_file(
    runner: FlaskCliRunner, db_session: Session
) -> None:
    assert TEMPLATE_PATH.read_bytes().startswith(b"\xef\xbb\xbf")
    result = run_import(runner, TEMPLATE_PATH, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "workers: 3 would add" in result.stdout


@pytest.mark.parametrize("fullwidth", [False, True])
def test_phone_spellings_collide_in_one_file(
    runner: FlaskCliRunner, tmp_path: Path, fullwidth: bool
) -> None:
    second = mobile(1).translate(FULL_WIDTH) if fullwidth else "+81 90 1000 0001"
    rows = [worker_row(1), worker_row(2, phone=second)]
    result = run_import(runner, write(tmp_path, excel_cp932(rows, HEADER)))
    assert result.exit_code == 1
    assert "row 3: phone: +819010000001 is also on row 2" in result.stderr


def test_existing_company_is_reused_by_id_or_name(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    by_id = make_company(db_session, "旧社名建設", ccus_business_id="11111111111111")
    by_name = make_company(db_session, "名前だけ工業")
    rows = [
        worker_row(1, company="新社名建設", company_ccus_id="11111111111111"),
        worker_row(2, company="名前だけ工業", company_ccus_id=""),
    ]
    result = run_import(runner, write(tmp_path, csv_bytes(rows)))
    assert result.exit_code == 0, result.output
    assert "companies: 0 added, 2 already registered" in result.stdout
    ids = {name: cid for name, cid in db_session.execute(select(Worker.name, Worker.company_id))}
    assert ids["作業員 1"] == by_id.id and ids["作業員 2"] == by_name.id
    assert db_session.get(Company, by_id.id).name == "旧社名建設"  # type: ignore[union-attr]
    assert db_session.scalar(select(Card.uid).where(Card.uid == "F:0100000000000001"))
