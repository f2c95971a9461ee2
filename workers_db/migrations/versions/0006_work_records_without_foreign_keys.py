"""work_records: no foreign keys to workers and sites (reconciliation writes what they checked)

A work record is derived: only reconciliation writes it (`jobs.reconcile_sql.insert_records`),
from the site's events, whose own foreign keys name the worker and the site, joined with
`workers` in the same statement.  The two foreign keys of `work_records` checked that again,
row by row: PostgreSQL runs a trigger per inserted row and key (`SELECT … FOR KEY SHARE` of
the worker's and of the site's row), which took more time than the insert itself (a month of
one site, 3,103 records: insert 40–48 ms, the two triggers 35–61 ms; docs/reconciliation.md).
Workers and sites are never deleted (they are deactivated), and a worker or site with events
cannot be: the events' foreign keys refuse it (tests/test_reconcile_records_keys.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (
    ("fk_work_records_worker_id_workers", "workers", "worker_id"),
    ("fk_work_records_site_id_sites", "sites", "site_id"),
)


def upgrade() -> None:
    with op.batch_alter_table("work_records") as batch:
        for name, _table, _column in _KEYS:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("work_records") as batch:
        for name, table, column in _KEYS:
            batch.create_foreign_key(name, table, [column], ["id"])
