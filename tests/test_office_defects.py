"""What a new site admin tripped over: the command line (help, dates, ids, import --site, the
demo's call lines), the CSV's roster columns, a confirmed company's exception, and charts
whose labels are the values of their gridlines, drawn again for a phone."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.admin_support import CSRF, World, login_as, world_fixture  # noqa: F401
from tests.helpers import make_company, make_site
from voice_app.admin.charts import NARROW, axis_ticks, stacked_bars
from voice_app.cli.demo import call_lines, genba_call_path
from voice_app.cli.group import cli
from voice_app.demo_data import seed
from workers_db.intake import raise_exception
from workers_db.models import SiteCompany, Worker, WorkException
from workers_db.registration import create_company, create_worker
from workers_db.structure import add_site_company

from .reconcile_support import TOKYO


def test_help_lists_genba_calls_commands_only(runner: FlaskCliRunner) -> None:
    shown = runner.invoke(cli, ["--help"]).output
    commands = set(re.findall(r"^  ([a-z][a-z-]+)", shown, re.MULTILINE))
    assert not commands & {"run", "shell", "routes"}, shown
    assert "--env-file" not in shown and "--app" not in shown
    assert {"set-target", "export", "poster", "companies", "sites", "import"} <= commands


def test_a_date_written_otherwise_is_a_usage_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(cli, ["stats", "--from", "2026/12/01", "--to", "2026-12-31"])
    assert result.exit_code == 2
    assert "--from" in result.output and "YYYY-MM-DD" in result.output
    month = runner.invoke(cli, ["report", "--prime", "1", "--month", "2026/12"])
    assert month.exit_code == 2 and "--month" in month.output


def test_companies_and_sites_list_the_ids_other_commands_take(
    runner: FlaskCliRunner, db_session: Session
) -> None:
    prime = make_company(db_session, "元請建設")
    site = make_site(db_session, prime, code="4321")
    sub = make_company(db_session, "協力工業", ccus_business_id="12345678901234")
    db_session.commit()
    listed = runner.invoke(cli, ["companies"])
    assert listed.exit_code == 0
    lines = {line.split("\t")[0]: line for line in listed.output.splitlines()[1:]}
    assert "○" in lines[str(prime.id)] and "元請建設" in lines[str(prime.id)]
    assert "12345678901234" in lines[str(sub.id)]
    sites = runner.invoke(cli, ["sites"]).output
    assert re.search(rf"^4321\t{site.id}\t{prime.id}\t", sites, re.MULTILINE), sites


def test_import_site_places_new_companies_and_reads_roster_columns(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    prime = make_company(db_session, "元請建設")
    site = make_site(db_session, prime, code="5555")
    db_session.commit()
    csv = tmp_path / "workers.csv"
    csv.write_text(
        "会社名,氏名,電話番号,職種,生年月日,雇用保険,資格\n"
        "新規工業,新人 太郎,090-5555-0001,鉄筋工,1990/04/01,適用除外,玉掛け;足場\n",
        encoding="utf-8",
    )
    done = runner.invoke(cli, ["import", str(csv), "--site", "5555"])
    assert done.exit_code == 0, done.output
    worker = db_session.scalars(select(Worker).where(Worker.name == "新人 太郎")).one()
    assert (worker.trade, worker.birth_date) == ("鉄筋工", date(1990, 4, 1))
    assert (worker.employment_insurance, worker.qualifications) == ("適用除外", ["玉掛け", "足場"])
    edge = db_session.scalars(
        select(SiteCompany).where(
            SiteCompany.site_id == site.id, SiteCompany.company_id == worker.company_id
        )
    ).one()
    assert (edge.confirmed, edge.parent_company_id, edge.tier) == (True, prime.id, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("会社名,氏名,生年月日\n新規工業,誰か,1990-13-01\n", encoding="utf-8")
    refused = runner.invoke(cli, ["import", str(bad)])
    assert refused.exit_code == 1
    assert re.search(r"row 2: (生年月日|birth_date): ", refused.output), refused.output
    unknown = runner.invoke(cli, ["import", str(csv), "--site", "0000"])
    assert unknown.exit_code == 1 and "--site" in unknown.output


def test_confirming_a_call_added_company_closes_its_exception(
    client: FlaskClient,
    world: World,
    db_session: Session,
) -> None:
    called = create_company(db_session, "電話で来た工業")
    worker = create_worker(db_session, "電話 一郎", called.id)
    edge = add_site_company(db_session, world.a.site.id, called.id, source="call", confirmed=False)
    exception = raise_exception(
        db_session,
        kind="company_not_in_structure",
        dedupe_key=f"company_not_in_structure:{world.a.site.id}:{called.id}",
        site_id=world.a.site.id,
        worker_id=worker.id,
        detail={"company_id": called.id},
    )
    db_session.commit()
    login_as(client, world.a.users["site_admin"])
    answer = client.post(
        f"/admin/sites/{world.a.site.id}/structure/{edge.id}",
        data={"csrf_token": CSRF, "parent_company_id": world.a.prime.id},
    )
    assert answer.status_code == 302
    db_session.refresh(exception)
    assert (exception.status, exception.reason_code) == ("resolved", "confirmed_correct")
    others = db_session.scalars(
        select(WorkException).where(WorkException.status != "resolved")
    ).all()
    assert world.a.exception in others  # nothing else was closed


def test_demo_call_lines_run_from_any_terminal(db_session: Session) -> None:
    data = seed(db_session, TOKYO)
    program = genba_call_path()
    assert Path(program).is_absolute() and Path(program).name == "genba-call"
    for _title, line in call_lines(data, "http://127.0.0.1:5000", "token", lambda *_: "entry"):
        assert f" {program} call " in line


def test_chart_labels_are_the_values_of_their_gridlines() -> None:
    assert axis_ticks(10) == [0, 2, 4, 6, 8, 10]
    assert axis_ticks(7) == [0, 2, 4, 6, 8]
    assert axis_ticks(0) == [0, 1]
    assert axis_ticks(1234) == [0, 500, 1000, 1500]
    svg = str(stacked_bars(["1/1", "1/2"], [7, 3], [0, 1], "計上", "計上外", "日別"))
    gridlines = [
        float(y) for y in re.findall(r'<line x1="52.0" y1="([\d.]+)"[^>]*stroke="#e3e7ee"', svg)
    ]
    labels = re.findall(r'y="([\d.]+)" text-anchor="end" font-size="11"[^>]*>([^<]+)</text>', svg)
    assert [text for _, text in labels] == ["0", "2", "4", "6", "8"]
    # each label sits on its own gridline, and the lines are evenly spaced values
    assert [float(y) - 4 for y, _ in labels] == gridlines
    bottom, top = gridlines[0], gridlines[-1]
    bar_top = float(re.findall(r'<rect x="[\d.]+" y="([\d.]+)"[^>]*fill="#2b6cb0"', svg)[0])
    assert bar_top == round(bottom - (bottom - top) * 7 / 8, 1)  # a 7 stands at 7 of 8
    narrow = str(
        stacked_bars(["1/1"] * 31, [1] * 31, [0] * 31, "計上", "計上外", "日別", None, NARROW)
    )
    assert f'viewBox="0 0 {NARROW} ' in narrow
