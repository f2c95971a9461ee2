"""`genba-call --help` imports only what listing the commands needs (docs/architecture.md).

Each command's module is imported when that command runs; the group lists the commands by
the line recorded in `voice_app.cli.group.COMMANDS`, which must stay the command's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from voice_app.cli.group import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"sqlalchemy", "psycopg", "rq", "redis", "twilio", "argon2", "openpyxl", "alembic"}

HELP_MODULES = """
import contextlib, io, json, sys
sys.argv = ["genba-call", "--help"]
from voice_app.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as exit:
        code = exit.code
print(json.dumps({"code": code, "help": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def test_help_lists_every_command_without_importing_them() -> None:
    result = subprocess.run(
        [sys.executable, "-c", HELP_MODULES], capture_output=True, text=True, check=True, cwd=ROOT
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    listed = {line.split()[0] for line in report["help"].split("Commands:")[1].splitlines() if line}
    assert listed == set(COMMANDS)
    assert {name.split(".")[0] for name in report["modules"]} & HEAVY == set()


def test_recorded_lines_are_the_commands_own() -> None:
    ctx = cli.make_context("genba-call", ["--help"], resilient_parsing=True)
    for name, (_module, line) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=10_000) == line


def test_a_command_still_runs_through_the_group() -> None:
    result = CliRunner().invoke(cli, ["reconcile", "--help"])
    assert result.exit_code == 0
    assert "reconcile" in result.output
