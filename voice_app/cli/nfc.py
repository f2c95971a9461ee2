"""`genba-call nfc-agent`, `genba-call link-card` and `genba-call import-touches`.

`nfc-agent` runs on the reader's computer and needs no database: it talks to the server only
over HTTP.  The other two run where the database is (they use the app's session).
"""

from __future__ import annotations

import getpass
import logging
import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from nfc_fallback.agent import Agent, AgentConfig
from nfc_fallback.backends import ReaderError, open_backend
from nfc_fallback.console import Console
from nfc_fallback.journal import JOURNAL_FILE
from nfc_fallback.touch import DEBOUNCE_S
from nfc_fallback.uploader import (
    BATCH_SIZE,
    RETRY_BASE_S,
    RETRY_CAP_S,
    STATUS_EVERY_S,
    UploaderOptions,
)
from voice_app.extensions import db, settings
from workers_db.enrollment import link_card
from workers_db.errors import NotFound, ValidationFailed
from workers_db.models import Site, Worker
from workers_db.touch_csv import import_touch_csv
from workers_db.touch_intake import MAX_BATCH

CLOCK_CHOICES = {"auto": None, "yes": True, "no": False}


def _default_journal() -> Path:
    return Path(os.environ.get("GENBA_INSTANCE") or "./instance") / JOURNAL_FILE


@click.command("nfc-agent")
@click.option(
    "--device",
    required=True,
    help="usb, usb:054c:06c1, tty:USB0, udp:HOST:PORT, pcsc[:READER NAME] or stdin",
)
@click.option(
    "--server", required=True, help="the genba-call server, e.g. https://genba.example.jp"
)
@click.option(
    "--token",
    required=True,
    envvar="GENBA_DEVICE_TOKEN",
    help="device token (create-token --device); or set GENBA_DEVICE_TOKEN",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"local journal [default: $GENBA_INSTANCE/{JOURNAL_FILE}]",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH),
    default=BATCH_SIZE,
    show_default=True,
    help="touches per upload request",
)
@click.option(
    "--debounce",
    type=click.FloatRange(0),
    default=DEBOUNCE_S,
    show_default=True,
    help="seconds in which a re-read of the same card is the same touch",
)
@click.option(
    "--clock-synced",
    type=click.Choice(list(CLOCK_CHOICES)),
    default="auto",
    show_default=True,
    help="override the clock-synchronized detection",
)
@click.option(
    "--retry-base",
    type=click.FloatRange(0.01),
    default=RETRY_BASE_S,
    show_default=True,
    help="first retry delay after a failed upload (s)",
)
@click.option(
    "--retry-cap",
    type=click.FloatRange(0.01),
    default=RETRY_CAP_S,
    show_default=True,
    help="longest retry delay (s)",
)
@click.option(
    "--warn-backlog-hours",
    type=click.FloatRange(0),
    default=24.0,
    show_default=True,
    help="warn when the oldest unsent touch is older than this",
)
@click.option(
    "--status-every",
    type=click.FloatRange(0.1),
    default=STATUS_EVERY_S,
    show_default=True,
    help="seconds between status lines",
)
@click.option("-v", "--verbose", is_flag=True, help="debug logging (nfcpy's too)")
def nfc_agent(
    device: str,
    server: str,
    token: str,
    journal_path: Path | None,
    batch_size: int,
    debounce: float,
    clock_synced: str,
    retry_base: float,
    retry_cap: float,
    warn_backlog_hours: float,
    status_every: float,
    verbose: bool,
) -> None:
    """The NFC reader agent (カードリーダー): journal every touch, upload to the server."""
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nfc").setLevel(level)  # nfcpy sets INFO on its own logger
    if not server.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--server")
    try:
        backend = open_backend(device, debounce_s=debounce)
    except ReaderError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from exc
    config = AgentConfig(
        journal_path=journal_path or _default_journal(),
        server=server,
        token=token,
        clock_override=CLOCK_CHOICES[clock_synced],
        retry_base_s=retry_base,
        retry_cap_s=retry_cap,
        uploader=UploaderOptions(
            batch_size=batch_size,
            warn_backlog_age_s=warn_backlog_hours * 3600,
            status_every_s=status_every,
        ),
    )
    raise SystemExit(Agent(backend, config, Console()).run())


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


@click.command("link-card")
@click.argument("card_uid")
@click.option("--worker", "worker_id", type=int, help="the worker's id")
@click.option("--ccus-id", help="or the worker's 技能者ID (14 digits)")
@click.option("--actor", help="who links it (audit trail) [default: cli:$USER]")
@with_appcontext
def link_card_command(
    card_uid: str, worker_id: int | None, ccus_id: str | None, actor: str | None
) -> None:
    """Register a card to a worker; their earlier touches of it then count (カード登録)."""
    if (worker_id is None) == (ccus_id is None):
        raise click.UsageError("give either --worker ID or --ccus-id 技能者ID")
    session = db()
    if ccus_id is not None:
        worker_id = session.scalar(select(Worker.id).where(Worker.ccus_worker_id == ccus_id))
        if worker_id is None:
            raise click.ClickException(f"--ccus-id: no worker with 技能者ID {ccus_id}")
    assert worker_id is not None
    try:
        result = link_card(session, card_uid, worker_id, _actor(actor))
    except ValidationFailed as exc:
        problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        raise click.ClickException(problems) from exc
    except NotFound as exc:
        raise click.ClickException(f"--worker: {exc}") from exc
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
    site = session.scalar(select(Site).where(Site.site_code == site_code))
    if site is None:
        raise click.ClickException(f"--site: no site with code {site_code!r}")
    report = import_touch_csv(
        session, file.read_bytes(), site, device or f"csv:{file.name}"[:100], settings().tz
    )
    if dry_run:
        session.rollback()
    else:
        session.commit()
    for problem in report.problems:
        click.echo(problem, err=True)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{verb}: accepted {report.accepted}, duplicates {report.duplicates}, "
        f"rejected {len(report.problems)}"
    )
    if report.problems:
        raise SystemExit(1)


COMMANDS = [nfc_agent, link_card_command, import_touches]
