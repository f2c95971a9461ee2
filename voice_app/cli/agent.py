"""`genba-call nfc-agent`: the NFC reader agent's command.

It runs on the reader's computer and needs no database: it talks to the server only over HTTP.
`voice_app.cli.main` dispatches it before building the Flask group, so this module imports
only click, the agent (`nfc_fallback`) and the standard library; a test checks `sys.modules`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from nfc_fallback.agent import Agent, AgentConfig
from nfc_fallback.backends import ReaderError, open_backend
from nfc_fallback.console import Console, status_report
from nfc_fallback.journal import JOURNAL_FILE, Journal
from nfc_fallback.touch import DEBOUNCE_S
from nfc_fallback.uploader import (
    BATCH_SIZE,
    RETRY_BASE_S,
    RETRY_CAP_S,
    STATUS_EVERY_S,
    UploaderOptions,
)
from workers_db.limits import MAX_BATCH
from workers_db.settings import DEFAULT_INSTANCE

CLOCK_CHOICES = {"auto": None, "yes": True, "no": False}


def _default_journal() -> Path:
    return Path(os.environ.get("GENBA_INSTANCE") or DEFAULT_INSTANCE) / JOURNAL_FILE


@click.command("nfc-agent")
@click.option(
    "--device",
    help="usb, usb:054c:06c1, tty:USB0, udp:HOST:PORT, pcsc[:READER NAME] or stdin (required)",
)
@click.option("--server", help="the genba-call server, e.g. https://genba.example.jp (required)")
@click.option(
    "--token",
    envvar="GENBA_DEVICE_TOKEN",
    help="device token (create-token --device); or set GENBA_DEVICE_TOKEN (required)",
)
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="print the journal's pending, sent and rejected counts and its last rejections, "
    "then exit (needs only --journal; changes nothing)",
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
    device: str | None,
    server: str | None,
    token: str | None,
    show_status: bool,
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
    if show_status:
        path = journal_path or _default_journal()
        if not path.exists():
            raise click.ClickException(f"{path}: no journal there (see --journal)")
        with Journal(path) as journal:
            click.echo(status_report(journal.status(), str(path)))
        return
    missing = [
        f"--{n}" for n, v in (("device", device), ("server", server), ("token", token)) if not v
    ]
    if missing:
        raise click.UsageError(f"missing option {', '.join(missing)} (or --status)")
    assert device is not None and server is not None and token is not None
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


COMMANDS = [nfc_agent]
