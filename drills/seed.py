"""Bulk data for a drill: one prime contractor, subcontractors, sites with dial-in numbers and
several thousand workers, each with a mobile number and a FeliCa card, assigned to a site."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, insert

from workers_db.models import Card, Company, Phone, Site, Worker

SUBCONTRACTORS = 40


@dataclass(frozen=True)
class Crew:
    worker_id: int
    phone: str  # E.164
    card_uid: str
    site_id: int
    site_number: str
    site_code: str


def site_number(n: int) -> str:
    return f"+8133500{n:04d}"  # 03-3500-nnnn (Tokyo)


def worker_phone(n: int) -> str:
    return f"+8190{10_000_000 + n:08d}"  # 090-1xxx-xxxx


def seed(engine: Engine, workers: int, sites: int) -> list[Crew]:
    with engine.begin() as conn:
        prime = conn.execute(
            insert(Company).returning(Company.id),
            [{"name": "ドリル元請建設", "sole_proprietor": False}],
        ).scalar_one()
        subs = list(
            conn.execute(
                insert(Company).returning(Company.id, sort_by_parameter_order=True),
                [
                    {
                        "name": f"ドリル工業{n}",
                        "sole_proprietor": n % 10 == 0,
                        "ccus_business_id": f"{50_000_000_000_000 + n}" if n % 3 else None,
                    }
                    for n in range(SUBCONTRACTORS)
                ],
            ).scalars()
        )
        site_rows = list(
            conn.execute(
                insert(Site).returning(
                    Site.id, Site.dial_in_number, Site.site_code, sort_by_parameter_order=True
                ),
                [
                    {
                        "name": f"ドリル現場{n}",
                        "site_code": f"{60000 + n}",
                        "dial_in_number": site_number(n),
                        "prime_company_id": prime,
                    }
                    for n in range(sites)
                ],
            )
        )
        worker_ids = list(
            conn.execute(
                insert(Worker).returning(Worker.id, sort_by_parameter_order=True),
                [
                    {
                        "company_id": subs[n % len(subs)],
                        "name": f"作業員{n}",
                        "language": "ja",
                        "ccus_worker_id": f"{80_000_000_000_000 + n}" if n % 4 else None,
                    }
                    for n in range(workers)
                ],
            ).scalars()
        )
        conn.execute(
            insert(Phone),
            [{"e164": worker_phone(n), "worker_id": w} for n, w in enumerate(worker_ids)],
        )
        conn.execute(
            insert(Card),
            [
                {"uid": f"F:{0xD0000000 + n:016X}", "technology": "F", "worker_id": w}
                for n, w in enumerate(worker_ids)
            ],
        )
    crews = []
    for n, worker_id in enumerate(worker_ids):
        site_id, number, code = site_rows[n % len(site_rows)]
        crews.append(
            Crew(
                worker_id, worker_phone(n), f"F:{0xD0000000 + n:016X}", site_id, number or "", code
            )
        )
    return crews
