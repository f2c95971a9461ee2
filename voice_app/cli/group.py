"""The `genba-call` command group: a Flask CLI group over the app factory.

Each command lives in a module of this package and is listed in `COMMANDS` with the one line
`--help` shows for it.  A command's module is imported only when that command runs, so
`genba-call --help` imports neither the application nor SQLAlchemy, psycopg, rq or openpyxl
(docs/architecture.md, start-up).  A test checks each recorded line against the command's own
docstring.  `voice_app.cli.main` builds this group for every command but `nfc-agent`.
"""

from __future__ import annotations

import copy
import importlib

import click
from flask.cli import FlaskGroup

from voice_app import create_app

# command name -> (module holding it in its COMMANDS list, the one line `--help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "init-db": (
        "voice_app.cli.database",
        "Create or migrate the database schema (safe to run again).",
    ),
    "create-token": ("voice_app.cli.accounts", "Print a new token once; only its hash is stored."),
    "create-user": (
        "voice_app.cli.accounts",
        "Create an admin-UI login; the password is read from GENBA_PASSWORD or asked for.",
    ),
    "import": (
        "voice_app.cli.importing",
        "Pre-register companies, workers, phones and cards from FILE (CSV, UTF-8 or CP932).",
    ),
    "demo": (
        "voice_app.cli.demo",
        "Run the embedded default: demo data, web server, RQ worker; print call lines.",
    ),
    "call": (
        "voice_app.cli.call",
        "Play one call against a running server exactly as Twilio (or Vonage) would;"
        " print every prompt.",
    ),
    "worker": ("voice_app.cli.worker", "RQ worker + scheduler + cron (夜間の再集計と月次統計)."),
    "reconcile": (
        "voice_app.cli.reconcile",
        "就業履歴を今すぐ再集計 / rebuild work records now (synchronously).",
    ),
    "stats": (
        "voice_app.cli.reconcile",
        "タッチ率などの統計 / touch statistics (docs/figures.md).",
    ),
    "report": (
        "voice_app.cli.reconcile",
        "月次フォローアップ報告 (HTML, CSV) / monthly follow-up report.",
    ),
    "set-target": (
        "voice_app.cli.documents",
        "新目標を登録 / set a member company's target and commitment for a fiscal year.",
    ),
    "export": (
        "voice_app.cli.documents",
        "出面表・作業員名簿・施工体系図を書き出す / export the site's documents.",
    ),
    "poster": (
        "voice_app.cli.documents",
        "入口ポスター (A4 PDF) / the entrance poster: the number to call, how, QR code.",
    ),
    "companies": (
        "voice_app.cli.listing",
        "会社の一覧と ID / companies and their ids (for --prime and --company).",
    ),
    "sites": (
        "voice_app.cli.listing",
        "現場の一覧 / sites: code (for --site), id, prime (company id), number to call.",
    ),
    "link-card": (
        "voice_app.cli.nfc",
        "Register a card to a worker; their earlier touches of it then count (カード登録).",
    ),
    "import-touches": (
        "voice_app.cli.nfc",
        "Import a touch log (CSV) exported by another reader or app; re-importing is harmless.",
    ),
    "nfc-agent": (
        "voice_app.cli.agent",
        "The NFC reader agent (カードリーダー): journal every touch, upload to the server.",
    ),
}


class LazyGroup(FlaskGroup):
    """A FlaskGroup that imports a command's module when the command is looked up, and lists
    the commands by their recorded lines without loading the app (the app has no commands of
    its own: every command is in `COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return super().get_command(ctx, name)
        module = importlib.import_module(COMMANDS[name][0])
        return next(command for command in module.COMMANDS if command.name == name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    create_app=create_app,
    add_version_option=False,
    add_default_commands=False,  # Flask's run, shell and routes are not genba-call's commands
    load_dotenv=False,
)
def cli() -> None:
    """genba-call: telephone and NFC check-in for construction sites (現場入退場)."""


def _hide_flask_options() -> None:
    """Flask's own group options (--env-file, --app, --debug) keep working for whoever knows
    them, but `genba-call --help` lists only genba-call's commands."""
    for index, param in enumerate(cli.params):
        if isinstance(param, click.Option) and param.name in ("env_file", "app", "debug"):
            hidden = copy.copy(param)
            hidden.hidden = True
            cli.params[index] = hidden


_hide_flask_options()
