"""`genba-call init-db`: create or migrate the schema to the newest Alembic revision."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from voice_app.extensions import runtime
from workers_db.db import make_engine
from workers_db.migrate import current_revision, head_revision, upgrade


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database schema (safe to run again)."""
    settings = runtime().settings
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except Exception as exc:
        raise click.ClickException(
            f"could not migrate {engine.url.render_as_string(hide_password=True)}: {exc}"
        ) from exc
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"schema already at the newest revision ({after})")
    else:
        click.echo(f"schema migrated {before or '(empty)'} → {after} (head {head_revision()})")


COMMANDS = [init_db]
