"""Errors in the reader's language, end to end: the CSV import on the command line under a
Japanese locale, the same file uploaded in the Japanese admin UI, and the API's 422 with
`Accept-Language: ja` (English otherwise)."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from .admin_support import CSRF, World, login_as, world_fixture  # noqa: F401
from .helpers import bearer, make_company, make_token, make_worker
from .import_support import excel_cp932, mobile, run_import, worker_row, write

TAKEN = mobile(9)


def bad_file(company: str) -> bytes:
    """The file of the complaint: a cut-off phone, one phone on two rows, Excel's rendering
    of a 技能者ID as a number, and a phone that already belongs to another worker."""
    return excel_cp932(
        [
            worker_row(1, company=company, company_ccus_id="", phone="090-12"),
            worker_row(2, company=company, company_ccus_id="", phone=mobile(2)),
            worker_row(3, company=company, company_ccus_id="", phone=mobile(2)),
            worker_row(4, company=company, company_ccus_id="", worker_ccus_id="1.23457E+13"),
            worker_row(5, company=company, company_ccus_id="", phone=TAKEN),
        ]
    )


def expected_japanese(owner_id: int, owner_name: str, company_id: int) -> list[str]:
    return [
        "2行目: 電話番号: 「090-12」は電話番号として桁数 (5桁) が合いません",
        "4行目: 電話番号: +819010000002 は3行目にもあります (電話番号1つに技能者1人)",
        "5行目: 技能者ID: 「1.23457E+13」: Excel が数値に変えています。"
        "列の書式を文字列にして入力し直してください",
        f"6行目: 電話番号: +819010000009 は別の技能者 (ID {owner_id}、{owner_name}、"
        f"会社ID {company_id}) に登録済みです",
    ]


def english_words(text: str) -> list[str]:
    """Latin words other than the product names and identifiers a Japanese text may hold."""
    allowed = {"Excel", "ID", "PIN"}
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in allowed]


def test_the_cli_speaks_japanese_under_a_japanese_locale(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_worker(db_session, name="先客 太郎", phones=[TAKEN])
    path = write(tmp_path, bad_file("大野工業"))
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    result = run_import(runner, path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [
        *expected_japanese(owner.id, owner.name, owner.company_id),
        "5行中4行にエラーがあるため、何も登録していません。",
    ]
    assert english_words(result.stderr) == []

    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    english = run_import(runner, path).stderr.splitlines()
    assert english[0] == (
        "row 2: phone: '090-12' has the wrong number of digits (5) for a phone number"
    )
    assert english[-1] == "4 bad row(s) of 5: nothing was written."


def test_the_admin_upload_shows_every_problem_in_japanese(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    owner = make_worker(db_session, world.a.sub, name="先客 太郎", phones=[TAKEN])
    login_as(client, world.admin)
    data = {"csrf_token": CSRF, "file": (io.BytesIO(bad_file(world.a.sub.name)), "w.csv")}
    answer = client.post("/admin/import", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    cells = re.findall(r'<td class="row-no">(.*?)</td><td>(.*?)</td><td>(.*?)</td>', html)
    shown = [unescape(f"{row}: {column}: {problem}") for row, column, problem in cells]
    assert shown == expected_japanese(owner.id, owner.name, owner.company_id)
    assert all(english_words(line) == [] for line in shown)


def test_the_api_answers_in_english_or_in_japanese_when_asked(
    client: FlaskClient, db_session: Session
) -> None:
    admin = bearer(make_token(db_session, "admin"))
    company = make_company(db_session)
    body = {"name": "作業員", "company_id": company.id, "phones": ["090-12"], "pin": "12"}
    english = client.post("/api/v1/workers", json=body, headers=admin)
    japanese = client.post(
        "/api/v1/workers", json=body, headers={**admin, "Accept-Language": "ja,en;q=0.5"}
    )
    assert english.status_code == japanese.status_code == 422
    assert sorted(e["field"] for e in english.json["errors"]) == ["phones", "pin"]
    assert {e["field"]: e["message"] for e in english.json["errors"]} == {
        "pin": "must be 4 to 8 digits",
        "phones": "'090-12' has the wrong number of digits (5) for a phone number",
    }
    assert {e["field"]: e["message"] for e in japanese.json["errors"]} == {
        "pin": "4〜8桁の数字にしてください",
        "phones": "「090-12」は電話番号として桁数 (5桁) が合いません",
    }
    other = client.post("/api/v1/workers", json=body, headers={**admin, "Accept-Language": "fr"})
    assert other.json == english.json
