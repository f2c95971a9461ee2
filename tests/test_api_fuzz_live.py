"""schemathesis against a live server on PostgreSQL, as an integrator would run it
(scripts/fuzz_api.py; docs/api.md, "Fuzzing"): every phase including stateful, every check
but positive data acceptance, the device token for the touches operation; 0 failures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TEST_DATABASE_URL, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = 15  # about two minutes on an idle CI machine
# A fixed seed: CI replays the same cases each run (a new finding is a new seed, not a flake).
SEED = 20261202


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_schemathesis_on_a_live_server_finds_no_failure() -> None:
    env = {
        **os.environ,
        "GENBA_TEST_DATABASE_URL": TEST_DATABASE_URL,
        "GENBA_TEST_REDIS_URL": TEST_REDIS_URL,
    }
    env.pop("GENBA_FUZZ_DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "fuzz_api.py"),
            "--max-examples",
            str(MAX_EXAMPLES),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=850,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    summary = re.search(r"(\d+) generated, (\d+) passed", out)
    assert summary is not None, out[-3000:]
    assert int(summary.group(1)) > 500  # every operation was reached many times
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", out), f"{phase} did not pass"
