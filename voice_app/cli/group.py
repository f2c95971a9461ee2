"""The `genba-call` command group: a Flask CLI group over the app factory.

Each command lives in a module of this package and is listed in `COMMAND_MODULES`.
`voice_app.cli.main` builds this group for every command but `nfc-agent`.
"""

from __future__ import annotations

import copy
import importlib

import click
from flask.cli import FlaskGroup

from voice_app import create_app

COMMAND_MODULES = (
    "voice_app.cli.database",
    "voice_app.cli.accounts",
    "voice_app.cli.importing",
    "voice_app.cli.demo",
    "voice_app.cli.call",
    "voice_app.cli.worker",
    "voice_app.cli.reconcile",
    "voice_app.cli.documents",
    "voice_app.cli.listing",
    "voice_app.cli.nfc",
    "voice_app.cli.agent",
)


@click.group(
    cls=FlaskGroup,
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


def _register() -> None:
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
_hide_flask_options()
