"""exceptions: find the open ones reconciliation checks by date, not by reading them all

Reconciliation looks, for each (site, date range) it rebuilds, at the open exceptions of that
site and range, and at the open `overlapping_sites` of any site near those dates
(docs/reconciliation.md, "Exceptions").  Without these indexes both read every open exception
of the site, or of every site, however many months they span.

- `ix_exceptions_site_status` (site, status) becomes (site, status, work_date): the same
  prefix for the queue's look-ups, and a date range within it;
- `ix_exceptions_open_overlaps`: the work date of the open `overlapping_sites` only (a partial
  index, so it holds those few rows and nothing else).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_OVERLAPS = sa.text("kind = 'overlapping_sites' AND status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("exceptions") as batch:
        batch.drop_index("ix_exceptions_site_status")
        batch.create_index("ix_exceptions_site_status_date", ["site_id", "status", "work_date"])
        batch.create_index(
            "ix_exceptions_open_overlaps",
            ["work_date"],
            postgresql_where=_OPEN_OVERLAPS,
            sqlite_where=_OPEN_OVERLAPS,
        )


def downgrade() -> None:
    with op.batch_alter_table("exceptions") as batch:
        batch.drop_index("ix_exceptions_open_overlaps")
        batch.drop_index("ix_exceptions_site_status_date")
        batch.create_index("ix_exceptions_site_status", ["site_id", "status"])
