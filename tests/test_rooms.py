"""The rooms keep their dependencies one way (docs/architecture.md).

The reader agent's command runs on a computer with no database: started the way a shell
starts it, it must not import the web application or any server-side library.  The lower
rooms (`workers_db`, `jobs`) never import the web package, and `ivr_flows` stays pure.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER_LIBRARIES = {"flask", "werkzeug", "sqlalchemy", "psycopg", "rq", "redis", "twilio", "argon2"}

AGENT_MODULES = """
import json, sys
sys.argv = ["genba-call", "nfc-agent", *sys.argv[1:]]
from voice_app.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _agent_modules(*args: str) -> tuple[object, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", AGENT_MODULES, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["code"], {name.split(".")[0] for name in report["modules"]}


def test_nfc_agent_help_imports_no_server_library() -> None:
    code, packages = _agent_modules("--help")
    assert code == 0
    assert packages & SERVER_LIBRARIES == set()


def test_nfc_agent_run_imports_no_server_library(tmp_path: Path) -> None:
    """A whole run (journal opened, uploader started, reader missing) stays light too."""
    code, packages = _agent_modules(
        "--device", "tty:genba-no-such-port", "--server", "http://127.0.0.1:9", "--token", "x",
        "--journal", str(tmp_path / "journal.db"),
    )  # fmt: skip
    assert code == 1  # the reader cannot be opened: the agent says so and stops
    assert {"nfc_fallback", "nfc", "sqlite3"} <= packages
    assert packages & SERVER_LIBRARIES == set()


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level package names each module of `package` imports (at any depth of the file)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("workers_db", {"voice_app"}),
        ("jobs", {"voice_app"}),
        ("ivr_flows", {"voice_app", "workers_db", "jobs", "flask", "sqlalchemy", "twilio", "rq"}),
        ("nfc_fallback", {"voice_app", "jobs"} | SERVER_LIBRARIES),
    ],
)
def test_lower_rooms_do_not_import_upper_ones(package: str, forbidden: set[str]) -> None:
    offenders = {
        module: sorted(names & forbidden)
        for module, names in _imports(package).items()
        if names & forbidden
    }
    assert offenders == {}


def test_settings_need_only_the_standard_library() -> None:
    names = _imports("workers_db")["workers_db/settings.py"]
    assert names - set(sys.stdlib_module_names) == set()
