"""Targets (新目標) through the API and the CLI, and the 出面表 of a seeded month against the
reference reconciliation, day by day."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.reconcile import reconcile
from tests import reference_domain as ref
from tests.helpers import bearer, make_company, make_site, make_token, make_worker
from tests.reconcile_support import RULES, TOKYO, Loaded, load, seeded_month
from voice_app.cli.group import cli
from workers_db.models import AuditEntry, Target
from workers_db.structure import add_site_company

FIRST, LAST = date(2025, 6, 1), date(2025, 6, 30)
BODY = {"fiscal_year": 2025, "touches_target": 3650, "touches_commitment": 1825}


def test_targets_set_replace_list_and_show_in_stats(
    client: FlaskClient, db_session: Session
) -> None:
    prime = make_company(db_session, "元請建設")
    other = make_company(db_session, "他社建設")
    site = make_site(db_session, prime)
    admin = make_token(db_session)
    own = make_token(db_session, "prime_admin", company_id=prime.id)
    foreign = make_token(db_session, "prime_admin", company_id=other.id)
    site_admin = make_token(db_session, "site_admin", site_id=site.id)
    body = {**BODY, "prime_company_id": prime.id}

    first = client.post("/api/v1/targets", json=body, headers=bearer(own))
    assert first.status_code == 201, first.json
    assert first.json["touches_target"] == 3650 and first.json["company_rate_target"] is None
    again = client.post(
        "/api/v1/targets",
        json={**body, "company_rate_target": 0.9, "company_rate_commitment": 0.8},
        headers=bearer(admin),
    )
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert db_session.scalars(select(Target)).all()[0].company_rate_target == 0.9
    assert client.post("/api/v1/targets", json=body, headers=bearer(foreign)).status_code == 403
    assert client.post("/api/v1/targets", json=body, headers=bearer(site_admin)).status_code == 403
    listed = client.get(
        "/api/v1/targets", query_string={"prime_company_id": prime.id}, headers=bearer(own)
    )
    assert [t["fiscal_year"] for t in listed.json] == [2025]
    assert (
        client.get(
            "/api/v1/targets", query_string={"prime_company_id": prime.id}, headers=bearer(foreign)
        ).status_code
        == 403
    )
    audit = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "set_target")).all()
    assert len(audit) == 2 and audit[1].detail["replaced"] is True

    stats = client.get(
        "/api/v1/stats",
        query_string={"prime_company_id": prime.id, "from": "2025-06-01", "to": "2025-06-30"},
        headers=bearer(own),
    ).json
    target = stats["target"]
    assert {k: target[k] for k in ("fiscal_year", "touches_target", "touches_commitment")} == {
        "fiscal_year": 2025,
        "touches_target": 3650,
        "touches_commitment": 1825,
    }
    elapsed = (date(2025, 6, 30) - date(2025, 4, 1)).days + 1
    assert target["touches_target_prorated"] == 3650 * elapsed / 365
    assert target["touches_commitment_prorated"] == 1825 * elapsed / 365
    assert (target["company_rate_target"], target["company_rate_commitment"]) == (0.9, 0.8)
    assert target["worker_rate_target"] is None

    notified = client.post(
        "/api/v1/site-targets",
        json={"site_id": site.id, "worker_rate": 0.7, "accumulation_rate": 0.5},
        headers=bearer(own),
    )
    assert notified.status_code == 201
    assert notified.json == {
        "site_id": site.id,
        "company_rate": None,
        "worker_rate": 0.7,
        "accumulation_rate": 0.5,
    }
    replaced = client.post(
        "/api/v1/site-targets", json={"site_id": site.id, "worker_rate": 0.8}, headers=bearer(own)
    )
    assert replaced.status_code == 200 and replaced.json["accumulation_rate"] is None
    assert (
        client.post(
            "/api/v1/site-targets", json={"site_id": site.id}, headers=bearer(foreign)
        ).status_code
        == 403
    )
    site_stats = client.get(
        "/api/v1/stats",
        query_string={"site_id": site.id, "from": "2025-06-01", "to": "2025-06-30"},
        headers=bearer(site_admin),
    ).json
    assert site_stats["site_target"]["worker_rate"] == 0.8


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"touches_commitment": 4000}, "touches_commitment"),  # above the target
        ({"touches_target": -1}, "touches_target"),
        ({"company_rate_target": 1.5, "company_rate_commitment": 0.5}, "company_rate_target"),
        ({"worker_rate_target": 0.9}, "worker_rate_commitment"),  # a pair, given whole
        ({"fiscal_year": 26}, "fiscal_year"),
        ({"touches_target": "3650"}, "touches_target"),
    ],
)
def test_bad_targets_name_the_field(
    client: FlaskClient, db_session: Session, change: dict[str, object], field: str
) -> None:
    prime = make_company(db_session)
    answer = client.post(
        "/api/v1/targets",
        json={**BODY, "prime_company_id": prime.id, **change},
        headers=bearer(make_token(db_session)),
    )
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.json["errors"]]
    assert db_session.scalars(select(Target)).all() == []


def test_set_target_command(runner: FlaskCliRunner, db_session: Session) -> None:
    prime = make_company(db_session)
    db_session.commit()
    args = ["set-target", "--prime", str(prime.id), "--fiscal-year", "2026", "--touches", "100"]
    done = runner.invoke(
        cli,
        [
            *args,
            "--touches-commitment",
            "80",
            "--worker-rate",
            "0.9",
            "--worker-rate-commitment",
            "0.7",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "2026" in done.output
    row = db_session.scalars(select(Target)).one()
    assert (row.target_count, row.commitment_count, row.worker_rate_target) == (100, 80, 0.9)
    too_high = runner.invoke(cli, [*args, "--touches-commitment", "120"])
    assert too_high.exit_code == 1 and "--touches-commitment" in too_high.output
    not_a_rate = runner.invoke(cli, [*args, "--touches-commitment", "1", "--company-rate", "90"])
    assert not_a_rate.exit_code == 2 and "--company-rate" in not_a_rate.output
    unknown = runner.invoke(
        cli,
        [
            "set-target",
            "--prime",
            "999999",
            "--fiscal-year",
            "2026",
            "--touches",
            "1",
            "--touches-commitment",
            "1",
        ],
    )
    assert unknown.exit_code == 1 and "--prime" in unknown.output


@pytest.fixture
def june(db_session: Session) -> tuple[Loaded, list[ref.RefRecord]]:
    loaded = load(db_session, seeded_month(2026, FIRST, 30, sites=2, workers=24))
    for site_id in loaded.site_ids:
        reconcile(
            db_session,
            site_id,
            FIRST - timedelta(days=3),
            LAST + timedelta(days=2),
            rules=RULES,
        )
    db_session.commit()
    records, _ = ref.reconcile(loaded.events, RULES)
    return loaded, [r for r in records.values() if FIRST <= r.work_date <= LAST]


def test_attendance_of_a_seeded_month_equals_the_reference_day_by_day(
    client: FlaskClient, db_session: Session, june: tuple[Loaded, list[ref.RefRecord]]
) -> None:
    loaded, records = june
    site = loaded.site_ids[0]
    answer = client.get(
        "/api/v1/attendance",
        query_string={"site_id": site, "month": "2025-06"},
        headers=bearer(make_token(db_session)),
    )
    assert answer.status_code == 200, answer.json
    sheet = answer.json
    at_site = [r for r in records if r.site_id == site]
    expected_totals = Counter(r.work_date.day for r in at_site)
    assert sheet["totals"] == {str(d): expected_totals.get(d, 0) for d in range(1, 31)}
    per_worker = Counter(r.worker_id for r in at_site)
    assert {w["worker_id"]: w["total_days"] for w in sheet["workers"]} == dict(per_worker)
    expected_days = {
        (r.worker_id, str(r.work_date.day)): r.countable(loaded.workers[r.worker_id])
        for r in at_site
    }
    got_days = {
        (w["worker_id"], d): v["countable"] for w in sheet["workers"] for d, v in w["days"].items()
    }
    assert got_days == expected_days
    some = next(r for r in at_site if r.first_in is not None)
    row = next(w for w in sheet["workers"] if w["worker_id"] == some.worker_id)
    assert (
        row["days"][str(some.work_date.day)]["first_in"]
        == some.first_in.astimezone(TOKYO).isoformat()
    )
    assert sum(sheet["totals"].values()) == len(at_site)


def test_attendance_scope_and_input(
    client: FlaskClient, db_session: Session, june: tuple[Loaded, list[ref.RefRecord]]
) -> None:
    loaded, _ = june
    site, other_site = loaded.site_ids
    company = loaded.company_ids[1]
    own = make_token(db_session, "company_admin", company_id=company)
    answer = client.get(
        "/api/v1/attendance",
        query_string={"site_id": site, "month": "2025-06"},
        headers=bearer(own),
    )
    if answer.status_code == 200:  # the company works at the site: its own rows only
        assert {w["company_id"] for w in answer.json["workers"]} <= {company}
    else:
        assert answer.status_code == 403
    site_admin = make_token(db_session, "site_admin", site_id=site)
    outside = client.get(
        "/api/v1/attendance",
        query_string={"site_id": other_site, "month": "2025-06"},
        headers=bearer(site_admin),
    )
    assert outside.status_code == 403
    for month in ("2025/06", "2025-13", ""):
        bad = client.get(
            "/api/v1/attendance",
            query_string={"site_id": site, "month": month},
            headers=bearer(site_admin),
        )
        assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "month"


def test_roster_fields_through_the_api(client: FlaskClient, db_session: Session) -> None:
    prime = make_company(db_session, "元請建設")
    site = make_site(db_session, prime)
    sub = make_company(db_session, "協力工業")
    other = make_company(db_session, "他社工業")
    add_site_company(db_session, site.id, sub.id, parent_company_id=prime.id, tier=1)
    worker = make_worker(db_session, sub)
    own = make_token(db_session, "company_admin", company_id=sub.id)
    foreign = make_token(db_session, "company_admin", company_id=other.id)
    site_admin = make_token(db_session, "site_admin", site_id=site.id)
    body = {
        "trade": "鉄筋工",
        "birth_date": "1985/07/03",
        "employment_insurance": "適用除外",
        "qualifications": ["玉掛け", "ＲＣ造"],
    }
    url = f"/api/v1/workers/{worker.id}/profile"
    answer = client.put(url, json=body, headers=bearer(own))
    assert answer.status_code == 200, answer.json
    assert answer.json["birth_date"] == "1985-07-03"
    assert answer.json["qualifications"] == ["玉掛け", "RC造"]  # NFKC on the way in
    assert client.put(url, json=body, headers=bearer(foreign)).status_code == 404
    cleared = client.put(url, json={"trade": None}, headers=bearer(own)).json
    assert cleared["trade"] is None and cleared["employment_insurance"] == "適用除外"
    bad = client.put(url, json={"hired_on": "2026-02-30", "shoe_size": 27}, headers=bearer(own))
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"shoe_size"}
    bad = client.put(url, json={"hired_on": "2026-02-30"}, headers=bearer(own))
    assert [e["field"] for e in bad.json["errors"]] == ["hired_on"]
    works = client.put(
        f"/api/v1/sites/{site.id}/companies/{sub.id}",
        json={
            "trade": "鉄筋工事",
            "chief_engineer": "山田 太郎",
            "works_from": "2026-01-05",
            "works_to": "2026-01-04",
        },
        headers=bearer(site_admin),
    )
    assert works.status_code == 422 and works.json["errors"][0]["field"] == "works_to"
    works = client.put(
        f"/api/v1/sites/{site.id}/companies/{sub.id}",
        json={"trade": "鉄筋工事", "chief_engineer": "山田 太郎"},
        headers=bearer(site_admin),
    )
    assert works.status_code == 200 and works.json["trade"] == "鉄筋工事"
    assert (
        client.put(
            f"/api/v1/sites/{site.id}/companies/{sub.id}", json={}, headers=bearer(own)
        ).status_code
        == 403
    )
    taught = client.put(
        f"/api/v1/sites/{site.id}/workers/{worker.id}",
        json={"induction_on": "2026-01-05"},
        headers=bearer(site_admin),
    )
    assert taught.status_code == 200 and taught.json["induction_on"] == "2026-01-05"
    audit = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "set_worker_profile")
    ).all()
    assert audit and "1985" not in str([a.detail for a in audit])  # names, never values
