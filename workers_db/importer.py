"""Importing a pre-registration CSV (`genba-call import`): all or nothing, idempotent, in bulk.

1. `import_csv.parse_bytes` reads every row (one `RowProblem` per bad cell).
2. `import_check.plan_import` checks the rows against each other (one company = one
   事業者ID, one phone or card = one row) and against the database, one query per batch of
   values, and decides for each row whether its company and worker already exist.
3. `import_write.write_plan` inserts what is new, in bulk, inside a savepoint.

A company of the file is one in the database with the same 事業者ID, or, when the file gives
none, the one company with the same name.  A worker of the file is one in the database
(re-importing adds nothing) when:
- its 技能者ID is that worker's (of the same company), or
- it has no 技能者ID and its phones/cards belong to one worker with the same company and name,
- it has no 技能者ID, phone or card and its company has a worker of that name without one.
Existing companies and workers are never changed, except a known worker's roster fields the
row gives (職種, 生年月日, …: docs/documents.md); phones and cards that are new in the file
are added to the worker of their row.  Any other collision is a problem of the row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.import_check import (
    CompanyKey,
    ImportPlan,
    ImportReport,
    Progress,
    ProgressFactory,
    no_progress,
    plan_import,
)
from workers_db.import_csv import ImportFileError, RowProblem, count_lines, parse_bytes
from workers_db.import_write import ImportConflict, write_plan
from workers_db.models import Site, SiteCompany
from workers_db.structure import add_site_company

__all__ = [
    "ImportConflict",
    "ImportFileError",
    "ImportPlan",
    "ImportReport",
    "Progress",
    "ProgressFactory",
    "RowProblem",
    "import_csv",
    "new_company_keys",
    "no_progress",
    "place_new_companies",
    "plan_import",
    "write_plan",
]


def new_company_keys(plan: ImportPlan) -> list[CompanyKey]:
    """The companies of the file that the database does not have yet (before writing)."""
    return [key for key, company in plan.companies.items() if company.existing_id is None]


def place_new_companies(
    session: Session, plan: ImportPlan, new_keys: list[CompanyKey], site: Site, actor: str
) -> int:
    """After writing: the companies the file created join `site`'s 施工体制 under its prime
    (confirmed, source `import`), so their workers' first calls find them in the structure.
    Companies that existed before keep their place.  Returns how many were placed."""
    placed = set(
        session.scalars(select(SiteCompany.company_id).where(SiteCompany.site_id == site.id))
    )
    count = 0
    for key in new_keys:
        company_id = plan.companies[key].existing_id
        if company_id is not None and company_id not in placed:
            add_site_company(
                session,
                site.id,
                company_id,
                parent_company_id=site.prime_company_id,
                source="import",
                actor=actor,
            )
            count += 1
    return count


def import_csv(
    session: Session,
    data: bytes,
    *,
    dry_run: bool = False,
    actor: str = "import",
    source_name: str = "",
    progress: ProgressFactory = no_progress,
    site: Site | None = None,
) -> ImportReport:
    """Check the whole file, then write it unless it has a problem or `dry_run` is set; with
    `site`, the companies it creates join that site's 施工体制 (`place_new_companies`).

    The caller owns the session (and commits).  Raises `ImportFileError` when the file cannot
    be read at all, `ImportConflict` when a concurrent registration took a value while
    writing; in both cases nothing of the file is written.
    """
    bar = progress("読み込み reading", count_lines(data))
    try:
        parsed = parse_bytes(data, bar.update)
    finally:
        bar.close()
    plan = plan_import(session, parsed, progress)
    report = plan.report()
    if report.problems or dry_run:
        return report
    new_keys = new_company_keys(plan)
    write_plan(session, plan, actor=actor, source_name=source_name, progress=progress)
    if site is not None:
        place_new_companies(session, plan, new_keys, site, actor)
    report.written = True
    return report
