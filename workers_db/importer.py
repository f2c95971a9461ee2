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
Existing companies and workers are never changed; phones and cards that are new in the file
are added to the worker of their row.  Any other collision is a problem of the row.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workers_db.import_check import (
    ImportPlan,
    ImportReport,
    Progress,
    ProgressFactory,
    no_progress,
    plan_import,
)
from workers_db.import_csv import ImportFileError, RowProblem, count_lines, parse_bytes
from workers_db.import_write import ImportConflict, write_plan

__all__ = [
    "ImportConflict",
    "ImportFileError",
    "ImportPlan",
    "ImportReport",
    "Progress",
    "ProgressFactory",
    "RowProblem",
    "import_csv",
    "no_progress",
    "plan_import",
    "write_plan",
]


def import_csv(
    session: Session,
    data: bytes,
    *,
    dry_run: bool = False,
    actor: str = "import",
    source_name: str = "",
    progress: ProgressFactory = no_progress,
) -> ImportReport:
    """Check the whole file, then write it unless it has a problem or `dry_run` is set.

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
    write_plan(session, plan, actor=actor, source_name=source_name, progress=progress)
    report.written = True
    return report
