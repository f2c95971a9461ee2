"""The `genba-call` command line.

Exit codes: 0 success, 1 bad input (the message names the problem), 2 usage error.

`main` is the console script.  `genba-call nfc-agent` runs on the reader's computer, which
needs neither the web application nor a database driver: it is dispatched before the Flask
group (`voice_app.cli.group`) is built, so it imports nothing of Flask, SQLAlchemy, psycopg,
rq, twilio or argon2.  Every other command goes through the group.
"""

from __future__ import annotations

import sys

PROG_NAME = "genba-call"


def main() -> None:
    if sys.argv[1:2] == ["nfc-agent"]:
        from voice_app.cli.agent import nfc_agent

        nfc_agent.main(args=sys.argv[2:], prog_name=f"{PROG_NAME} nfc-agent")
        return
    from voice_app.cli.group import cli

    cli.main(prog_name=PROG_NAME)
