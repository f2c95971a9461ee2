"""events: no foreign keys to sites and workers; a site or worker with events cannot be deleted

Every inserted event ran two triggers, one per key (`SELECT … FOR KEY SHARE` of the site's and
of the worker's row).  All the events of a site lock the same site row, so concurrent uploads
and check-ins of one site share that row lock and PostgreSQL builds a multixact for each new
holder: in `bench/ingest_bench.py` (four uploaders, one site) the backends spent 48–57 µs of
CPU per touch with the keys and 33–43 without them, and the API went from 22–27k to 26–33k
touches/s on a 2-core machine (docs/nfc.md).  The writers take these ids from what they have just read (the
token's site, the card's owner, the call's look-up, a scope-checked request), as reconciliation
does for work records (migration 0006).

What the keys also did, and must go on doing: refuse deleting (or renumbering) a site or a
worker that has events, since work records and exceptions point at them too.  Sites and
workers are deactivated, never deleted, by genba-call; a `BEFORE DELETE OR UPDATE OF id`
trigger on each table refuses it for anyone with SQL access, with the foreign-key error code
(23503), so it is an `IntegrityError` as before (tests/test_reconcile_records_keys.py).  Unlike a key it
does not see an event inserted by a transaction not yet committed: the price of not locking
the site's row for every event.

SQLite (the demo's embedded default: one process, no concurrency to pay for) keeps its keys:
dropping one there rewrites the `events` table, which other tables reference.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (
    ("fk_events_site_id_sites", "sites", "site_id"),
    ("fk_events_worker_id_workers", "workers", "worker_id"),
)
_GUARD = "genba_refuse_losing_events"

# TG_ARGV[0]: the events column that refers to the row (each test reads through its index).
_GUARD_FUNCTION = f"""
CREATE FUNCTION {_GUARD}() RETURNS trigger LANGUAGE plpgsql AS $genba$
DECLARE
  referenced boolean;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  IF TG_ARGV[0] = 'site_id' THEN
    referenced := EXISTS (SELECT 1 FROM events WHERE site_id = OLD.id);
  ELSE
    referenced := EXISTS (SELECT 1 FROM events WHERE worker_id = OLD.id);
  END IF;
  IF referenced THEN
    RAISE EXCEPTION 'update or delete on table "%" violates % on table "events"',
      TG_TABLE_NAME, TG_NAME
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Row %s has events: deactivate it instead (active = false).', OLD.id);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$genba$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _table, _column in _KEYS:
        op.drop_constraint(name, "events", type_="foreignkey")
    op.execute(_GUARD_FUNCTION)
    for _name, table, column in _KEYS:
        op.execute(
            f"CREATE TRIGGER {table}_keep_their_events BEFORE DELETE OR UPDATE OF id ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_GUARD}('{column}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for _name, table, _column in _KEYS:
        op.execute(f"DROP TRIGGER {table}_keep_their_events ON {table}")
    op.execute(f"DROP FUNCTION {_GUARD}()")
    for name, table, column in _KEYS:
        op.create_foreign_key(name, "events", table, [column], ["id"])
