"""The statistics of a seeded month agree with the reference implementation to the last
digit, through the API and the CLI; targets, model works, readiness, card levels, series,
and the monthly follow-up report."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from jobs.figures import neutralise
from jobs.reconcile import reconcile
from jobs.reports import build_monthly_report
from jobs.stats import DOMAIN_KEYS, compute_stats, daily_series, mlit_standing, period_series
from tests import reference_domain as ref
from tests.helpers import bearer, make_token
from tests.reconcile_support import RULES, TOKYO, Loaded, load, seeded_month
from voice_app.cli.group import cli
from workers_db.models import Company, Site, SiteTarget, Target

MAY = (date(2025, 5, 1), date(2025, 5, 31))
FIRST, LAST = MAY


@dataclass
class Month:
    loaded: Loaded
    records: list[ref.RefRecord]  # the reference's records of May

    def expected(self, site_id: int | None = None, company_id: int | None = None) -> dict[str, Any]:
        cut = [
            r
            for r in self.records
            if site_id in (None, r.site_id)
            and company_id in (None, self.loaded.workers[r.worker_id].company_id)
        ]
        return ref.stats(cut, self.loaded.workers, self.loaded.companies)


@pytest.fixture
def month(db_session: Session) -> Month:
    loaded = load(db_session, seeded_month(2025, FIRST, 31, sites=3, workers=40))
    s0, s1, s2 = loaded.site_ids
    db_session.execute(update(Site).where(Site.id.in_([s0, s2])).values(registered_in_ccus=True))
    db_session.execute(update(Site).where(Site.id == s1).values(contract_amount_yen=250_000_000))
    db_session.execute(
        update(Site)
        .where(Site.id == s0)
        .values(reader_present=True, reader_last_upload_at=datetime.now(UTC) - timedelta(days=30))
    )
    db_session.execute(
        update(Site)
        .where(Site.id == s2)
        .values(reader_last_upload_at=datetime.now(UTC) - timedelta(days=1))
    )
    make_token(db_session, "device", site_id=s2, device_name="reader-2")
    db_session.add(
        Target(
            company_id=loaded.prime_id,
            fiscal_year=2025,
            target_count=3650,
            commitment_count=1825,
            company_rate_target=1.0,
            company_rate_commitment=0.0,
            worker_rate_target=0.0,
            worker_rate_commitment=0.0,
        )
    )
    db_session.add(SiteTarget(site_id=loaded.site_ids[0], worker_rate=0.0, accumulation_rate=1.0))
    for site_id in loaded.site_ids:
        reconcile(
            db_session,
            site_id,
            FIRST - timedelta(days=3),
            LAST + timedelta(days=2),
            rules=RULES,
        )
    records, _ = ref.reconcile(loaded.events, RULES)
    return Month(loaded, [r for r in records.values() if FIRST <= r.work_date <= LAST])


def domain(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in DOMAIN_KEYS}


def test_api_and_cli_agree_with_the_reference_to_the_last_digit(
    client: FlaskClient, runner: FlaskCliRunner, db_session: Session, month: Month
) -> None:
    admin = make_token(db_session)
    prime = month.loaded.prime_id
    period = {"from": FIRST.isoformat(), "to": LAST.isoformat()}
    api = client.get(
        "/api/v1/stats", query_string={"prime_company_id": prime, **period}, headers=bearer(admin)
    )
    assert api.status_code == 200
    expected = month.expected()
    assert expected["worker_days"] > 400 and 0 < expected["accumulation_rate"] < 1
    assert domain(api.json) == expected

    out = runner.invoke(
        cli,
        ["stats", "--prime", str(prime), "--from", period["from"], "--to", period["to"], "--json"],
    )
    assert out.exit_code == 0, out.output
    assert domain(json.loads(out.output)) == expected

    for site_id in month.loaded.site_ids:
        api = client.get(
            "/api/v1/stats", query_string={"site_id": site_id, **period}, headers=bearer(admin)
        )
        assert domain(api.json) == month.expected(site_id=site_id)
        code = db_session.get(Site, site_id).site_code  # type: ignore[union-attr]
        out = runner.invoke(
            cli, ["stats", "--site", code, "--from", period["from"], "--to", period["to"], "--json"]
        )
        assert domain(json.loads(out.output)) == month.expected(site_id=site_id)

    full = client.get(
        "/api/v1/stats", query_string={"prime_company_id": prime, **period}, headers=bearer(admin)
    ).json
    for row in full["companies"]:
        assert domain(row) == month.expected(company_id=row["company_id"])
        assert row["tier"] == (0 if row["company_id"] == prime else 1)
    levels = {c["level"]: c["workers"] for c in full["card_levels"]}
    on_site = {r.worker_id for r in month.records}
    assert levels == {
        level: sum(1 for w in on_site if month.loaded.workers[w].card_level == level)
        for level in (1, 2, 3, 4, None)
    }


def test_cli_table_is_readable(runner: FlaskCliRunner, month: Month) -> None:
    out = runner.invoke(
        cli,
        [
            "stats",
            "--prime",
            str(month.loaded.prime_id),
            "--from",
            FIRST.isoformat(),
            "--to",
            LAST.isoformat(),
        ],
    )
    assert out.exit_code == 0, out.output
    expected = month.expected()
    assert "就業履歴数 (タッチ数) (Work history records)" in out.output
    assert f"{expected['work_history_count']:,}" in out.output
    assert f"{expected['accumulation_rate'] * 100:.1f}%" in out.output
    assert "年度目標 FY2025" in out.output
    bad = runner.invoke(cli, ["stats", "--from", "2025-05-31", "--to", "2025-05-01"])
    assert bad.exit_code == 1 and "--to" in bad.output
    unknown = runner.invoke(
        cli, ["stats", "--site", "0000", "--from", "2025-05-01", "--to", "2025-05-31"]
    )
    assert unknown.exit_code == 1 and "--site" in unknown.output


def test_target_model_works_and_readiness(db_session: Session, month: Month) -> None:
    s0, s1, s2 = month.loaded.site_ids
    result = compute_stats(
        db_session, prime_company_id=month.loaded.prime_id, date_from=FIRST, date_to=LAST, tz=TOKYO
    )
    target = result["target"]
    countable = sum(1 for r in month.records if r.countable(month.loaded.workers[r.worker_id]))
    assert (target["fiscal_year"], target["as_of"], target["elapsed_days"]) == (
        2025,
        "2025-05-31",
        61,
    )
    assert target["work_history_count"] == countable  # nothing in April
    assert target["touches_target_prorated"] == 3650 * 61 / 365 == 610.0
    assert target["touches_commitment_prorated"] == 305.0
    assert target["meets_target_prorated"] is (countable >= 610)
    assert (target["touches_target"], target["touches_commitment"]) == (3650, 1825)
    # rates are judged on the period, not pro-rated: 0 is always met, 1.0 only when all are
    everyone = result["company_registration_rate"] == 1
    assert target["company_rate_standing"] == ("target" if everyone else "commitment")
    assert target["worker_rate_standing"] == "target"
    (site0,) = [s for s in result["sites"] if s["site_id"] == s0]
    notified = site0["site_target"]
    assert (notified["worker_rate_met"], notified["company_rate"]) == (True, None)
    assert notified["accumulation_rate_met"] is (site0["accumulation_rate"] >= 1.0)
    assert (
        compute_stats(db_session, site_id=s0, date_from=FIRST, date_to=LAST, tz=TOKYO)[
            "site_target"
        ]
        == notified
    )
    later = compute_stats(
        db_session,
        prime_company_id=month.loaded.prime_id,
        date_from=date(2026, 5, 1),
        date_to=date(2026, 5, 31),
        tz=TOKYO,
    )
    assert later["target"] is None and later["fiscal_year"] == 2026  # no FY2026 target

    (model,) = result["model_works"]
    assert model["site_id"] == s0
    assert {k: v for k, v in model.items() if k not in ("site_id", "site_code")} == mlit_standing(
        month.expected(site_id=s0)
    )

    ready = result["readiness"]
    assert ready["sites_active"] == 3
    assert (ready["registered_in_ccus"], ready["reader_present"], ready["reader_active"]) == (
        2,
        2,
        1,
    )
    assert ready["reader_active_share"] == 1 / 3
    assert [s["site_id"] for s in ready["large_sites_without_reader"]] == [s1]
    assert (
        compute_stats(db_session, site_id=s2, date_from=FIRST, date_to=LAST, tz=TOKYO)["target"]
        is None
    )


def test_company_admin_sees_its_own_workers_figures(
    client: FlaskClient, db_session: Session, month: Month
) -> None:
    company = month.loaded.company_ids[1]
    token = make_token(db_session, "company_admin", company_id=company)
    site = month.loaded.site_ids[0]
    answer = client.get(
        "/api/v1/stats",
        query_string={"site_id": site, "from": FIRST.isoformat(), "to": LAST.isoformat()},
        headers=bearer(token),
    )
    assert answer.status_code == 200
    assert domain(answer.json) == month.expected(site_id=site, company_id=company)
    other_prime = client.get(
        "/api/v1/stats",
        query_string={
            "prime_company_id": month.loaded.prime_id,
            "from": "2025-05-01",
            "to": "2025-05-31",
        },
        headers=bearer(token),
    )
    assert other_prime.status_code == 403


def test_series_add_up(client: FlaskClient, db_session: Session, month: Month) -> None:
    prime = month.loaded.prime_id
    daily = daily_series(db_session, prime_company_id=prime, date_from=FIRST, date_to=LAST)
    assert [d["date"] for d in daily][:2] == ["2025-05-01", "2025-05-02"] and len(daily) == 31
    expected = month.expected()
    assert sum(d["worker_days"] for d in daily) == expected["worker_days"]
    assert sum(d["work_history_count"] for d in daily) == expected["work_history_count"]
    months = period_series(
        db_session, prime_company_id=prime, date_from=date(2025, 3, 1), date_to=LAST
    )
    assert [m["period"] for m in months] == ["2025-03", "2025-04", "2025-05"]
    assert domain(months[-1]) == expected
    years = period_series(
        db_session,
        prime_company_id=prime,
        date_from=date(2025, 3, 1),
        date_to=LAST,
        period="fiscal_year",
    )
    assert [(y["period"], y["from"], y["to"]) for y in years] == [
        ("FY2024", "2025-03-01", "2025-03-31"),
        ("FY2025", "2025-04-01", "2025-05-31"),
    ]
    admin = make_token(db_session)
    api = client.get(
        "/api/v1/stats",
        query_string={
            "prime_company_id": prime,
            "from": "2025-05-01",
            "to": "2025-05-31",
            "series": "day",
        },
        headers=bearer(admin),
    )
    assert api.json["series"] == daily


def test_monthly_report_html_and_excel_safe_csv(
    runner: FlaskCliRunner, db_session: Session, month: Month, tmp_path: Path
) -> None:
    company = db_session.get(Company, month.loaded.company_ids[1])
    assert company is not None
    company.name = '=HYPERLINK("http://evil.example","<b>x</b>")'
    db_session.flush()
    report = build_monthly_report(db_session, month.loaded.prime_id, 2025, 5, TOKYO)
    assert report.html.count('class="work-history"') == 31
    assert "<b>x</b>" not in report.html and "&lt;b&gt;x&lt;/b&gt;" in report.html
    assert f"{report.stats['work_history_count']:,}" in report.html
    cells = [cell for row in csv.reader(io.StringIO(report.csv)) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","<b>x</b>")' in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert (
        neutralise("-1") == "'-1" and neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise(12) == 12
    )

    out = runner.invoke(
        cli,
        [
            "report",
            "--prime",
            str(month.loaded.prime_id),
            "--month",
            "2025-05",
            "--out",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 0, out.output
    html_path, csv_path = (Path(line) for line in out.output.split())
    assert html_path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel in Japan reads UTF-8
    bad = runner.invoke(cli, ["report", "--prime", "999999", "--month", "2025-05"])
    assert bad.exit_code == 1 and "--prime" in bad.output
