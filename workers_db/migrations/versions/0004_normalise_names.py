"""normalise names and readings of workers and companies

Names are stored by `clean_text` and readings (フリガナ) by `kana_text` since this revision
(docs/import.md, "Names and readings"): rows written before it are brought to the same form, so
the admin search finds them by a plain comparison.  Data only; the schema does not change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workers_db.text import clean_text, optional_kana

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normalise(table: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, name, name_kana FROM {table}")).all()
    changed = [
        {"id": row.id, "name": clean_text(row.name) or row.name, "kana": optional_kana(row.name_kana)}
        for row in rows
        if (clean_text(row.name) or row.name, optional_kana(row.name_kana)) != (row.name, row.name_kana)
    ]
    if changed:
        bind.execute(
            sa.text(f"UPDATE {table} SET name = :name, name_kana = :kana WHERE id = :id"), changed
        )


def upgrade() -> None:
    _normalise("companies")
    _normalise("workers")


def downgrade() -> None:
    """The spellings before normalising are not kept; going down leaves them normalised."""

