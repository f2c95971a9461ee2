"""`genba-call link-card` and `genba-call import-touches`.

Both run where the database is (they use the app's session); the reader agent's own command,
`nfc-agent`, is `voice_app.cli.agent`.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from voice_app.extensions import db, settings
from workers_db.audit import cli_actor
from workers_db.directory import site_by_code, worker_by_ccus_id
from workers_db.enrollment import link_card
from workers_db.errors import NotFound, ValidationFailed
from workers_db.messages import locale_lang
from workers_db.touch_csv import import_touch_csv


@click.command("link-card")
@click.argument("card_uid")
@click.option("--worker", "worker_id", type=int, help="the worker's id")
@click.option("--ccus-id", help="or the worker's 技能者ID (14 digits)")
@click.option("--actor", help="who links it (audit trail: cli:NAME) [default: $USER]")
@with_appcontext
def link_card_command(
    card_uid: str, worker_id: int | None, ccus_id: str | None, actor: str | None
) -> None:
    """Register a card to a worker; their earlier touches of it then count (カード登録)."""
    if (worker_id is None) == (ccus_id is None):
        raise click.UsageError("give either --worker ID or --ccus-id 技能者ID")
    session = db()
    if ccus_id is not None:
        worker = worker_by_ccus_id(session, ccus_id)
        if worker is None:
            raise click.ClickException(f"--ccus-id: no worker with 技能者ID {ccus_id}")
        worker_id = worker.id
    assert worker_id is not None
    try:
        result = link_card(session, card_uid, worker_id, cli_actor(actor))
    except ValidationFailed as exc:
        lang = locale_lang()
        problems = "; ".join(f"{p.field}: {p.text(lang)}" for p in exc.problems)
        raise click.ClickException(problems) from exc
    except NotFound as exc:
        raise click.ClickException(f"--worker: {exc.text(locale_lang())}") from exc
    session.commit()
    click.echo(
        f"カード {result.identifier} → 作業員 worker {worker_id}: "
        f"{result.events_linked} 件のタッチ touches linked, "
        f"{len(result.exceptions_resolved)} 件の例外 exceptions resolved, "
        f"{len(result.days)} 日 days to reconcile"
    )


@click.command("import-touches")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_code", required=True, help="the site the touches belong to")
@click.option("--device", help="reader name stored with rows that name none [default: csv:FILE]")
@click.option("--dry-run", is_flag=True, help="check and count, write nothing")
@with_appcontext
def import_touches(file: Path, site_code: str, device: str | None, dry_run: bool) -> None:
    """Import a touch log (CSV) exported by another reader or app; re-importing is harmless."""
    session = db()
    site = site_by_code(session, site_code)
    if site is None:
        raise click.ClickException(f"--site: no site with code {site_code!r}")
    report = import_touch_csv(
        session, file.read_bytes(), site, device or f"csv:{file.name}"[:100], settings().tz
    )
    if dry_run:
        session.rollback()
    else:
        session.commit()
    lang = locale_lang()
    for problem in report.problems:
        click.echo(problem.text(lang), err=True)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{verb}: accepted {report.accepted}, duplicates {report.duplicates}, "
        f"rejected {len(report.problems)}"
    )
    if report.problems:
        raise SystemExit(1)


COMMANDS = [link_card_command, import_touches]
