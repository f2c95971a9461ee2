"""`genba-call demo`: the embedded default in one command.

SQLite and an embedded Redis in $GENBA_INSTANCE (unless DATABASE_URL / REDIS_URL say
otherwise), the schema migrated, demo data seeded (idempotent, `voice_app.demo_data`), a
Twilio token and a Vonage signature secret generated for the demo when none is set, an admin
login and API token, an RQ worker in a subprocess, and the web server on
http://127.0.0.1:5000.  It prints a ready-to-paste `genba-call call` line for each Twilio
behaviour of docs/ivr.md, titled with what that call will do now (the flow decides it,
records nothing, so the lines stay right on a second run), then the same calls as Vonage plays
them.  Ctrl-C stops the server and the worker.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from jobs.connection import redis_for, redis_url_for, stop_embedded_server
from voice_app.calls.runner import preview
from voice_app.demo_data import DEMO_ACTOR, SHARED_NUMBER, UNKNOWN_CALLER, DemoData, seed
from workers_db.accounts import create_user, set_password, token_known, user_by_email
from workers_db.db import make_engine, make_session_factory, session_scope
from workers_db.migrate import upgrade
from workers_db.models import ApiToken
from workers_db.registration import hash_token, new_token, verify_secret
from workers_db.settings import ConfigError, Settings

DEMO_EMAIL = "demo@genba.example"
WORKER_STOP_TIMEOUT_S = 10


def _instance_secret(instance: Path, name: str, make: str) -> str:
    """A value generated once into the instance folder (0600) and read back afterwards."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make)
    return make


def prepare_environment(host: str, port: int) -> tuple[Settings, bool]:
    """Settings for the demo; sets TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL in the environment
    (so that the worker subprocess sees the same) when they are unset."""
    base = Settings.from_env()
    if base.is_production:
        raise click.ClickException("genba-call demo is not for GENBA_ENV=production")
    generated = False
    if not os.environ.get("TWILIO_AUTH_TOKEN"):
        os.environ["TWILIO_AUTH_TOKEN"] = _instance_secret(
            base.instance_path, "demo_twilio_token", secrets.token_hex(16)
        )
        generated = True
    if not os.environ.get("VONAGE_SIGNATURE_SECRET"):
        os.environ["VONAGE_SIGNATURE_SECRET"] = _instance_secret(
            base.instance_path, "demo_vonage_secret", secrets.token_hex(32)
        )
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    os.environ["GENBA_INSTANCE"] = str(base.instance_path)
    return Settings.from_env(), generated


def _admin_login(session: Session, instance: Path) -> str:
    password = _instance_secret(instance, "demo_admin_password", secrets.token_urlsafe(12))
    user = user_by_email(session, DEMO_EMAIL)
    if user is None:
        create_user(
            session,
            email=DEMO_EMAIL,
            password=password,
            role="admin",
            site_id=None,
            company_id=None,
            actor=DEMO_ACTOR,
        )
    elif not verify_secret(user.password_hash, password):
        set_password(session, user, password, DEMO_ACTOR)
    return password


def _api_token(session: Session, instance: Path) -> str:
    token = _instance_secret(instance, "demo_api_token", new_token())
    if not token_known(session, token):
        session.add(ApiToken(token_hash=hash_token(token), role="admin", name="demo"))
    return token


def genba_call_path() -> str:
    """How to run genba-call from any terminal: the console script next to this interpreter
    (a new terminal has no virtualenv on its PATH), else whatever PATH finds."""
    script = Path(sys.executable).with_name("genba-call")
    if script.is_file():
        return str(script)
    return shutil.which("genba-call") or "genba-call"


def worker_command() -> list[str]:
    """`genba-call worker`, in this interpreter."""
    return [sys.executable, "-c", "from voice_app.cli import main; main()", "worker"]


def _worker_environment(settings: Settings) -> dict[str, str]:
    """The embedded Redis starts here, owned by this process; the worker and its children
    reach it through its socket, so that none of them starts a server of its own."""
    redis_for(settings).ping()
    return {**os.environ, "REDIS_URL": redis_url_for(settings)}


# What a line's call will do, as the flow decides it now (a second run of the demo, or a line
# pasted twice, finds the day further on: the titles follow).
OUTCOMES = {
    "entry": "入場 entry",
    "exit": "退場 exit",
    "asked_exit": "入場記録済み: asks, key 2 records the exit",
    "repeat": "記録済み already recorded",
    "mixed": "entries and exits",
}

Expect = Callable[[str, str], str]


def call_lines(data: DemoData, url: str, token: str, expect: Expect) -> list[tuple[str, str]]:
    """(what it shows, the command) for each Twilio behaviour of docs/ivr.md and the extras;
    `expect(caller, dialed)` is the outcome such a call would have now."""
    a, b = data.sites["1001"], data.sites["1002"]
    program = shlex.quote(genba_call_path())
    prefix = f"TWILIO_AUTH_TOKEN={token} {program} call --url {url}/twilio/voice"

    def line(caller: str, dialed: str, *more: str) -> str:
        return " ".join([prefix, "--from", caller, "--to", dialed, *map(shlex.quote, more)])

    def now(caller: str, dialed: str) -> str:
        outcome = expect(caller, dialed)
        return OUTCOMES.get(outcome, outcome)

    tanaka, a_number = data.phone("tanaka"), a.dial_in_number or ""
    kimura, b_number = data.phone("kimura"), b.dial_in_number or ""
    retry_sid = "CA" + secrets.token_hex(16)
    return [
        (f"1 now: {now(tanaka, a_number)} (the day's first call is the entry, no key)",
         line(tanaka, a_number)),
        ("2 記録済み: the line above again within the repeat window (10 min)",
         line(tanaka, a_number)),
        ("8 the line above again 10-60 min after the entry: the entry is read back, 2 = exit",
         line(tanaka, a_number, "--digits", "2")),
        (f"3 now: {now(kimura, a_number)} (木村 entered 3 hours ago, seeded: the exit)",
         line(kimura, a_number)),
        ("4 shared number: a wrong site code, then 1003#", line(
            tanaka, SHARED_NUMBER, "--digits", "9999#1003#")),
        ("4 three wrong codes: the call ends politely", line(
            tanaka, SHARED_NUMBER, "--digits", "1#2#3#")),
        ("5 unknown caller: attempt + unknown_caller exception", line(
            UNKNOWN_CALLER, a_number, "--digits", ".")),
        ("5 withheld caller: 中村さくら identifies with CCUS id and PIN", line(
            "anonymous", a_number, "--digits", "20000000000009#4321#")),
        (f"6 answer mode reject: <Reject/>, recorded all the same (now: {now(tanaka, b_number)})",
         line(tanaka, b_number)),
        ("7 a Twilio retry: run this twice, one CallSid, recorded once "
         f"(now: {now(data.phone('nguyen'), a_number)})",
         line(data.phone("nguyen"), a_number, "--call-sid", retry_sid)),
        ("crew phone: 佐々木's crew, 0 = everyone", line(
            data.phone("sasaki"), a_number, "--digits", "0")),
        (f"English speaker (now: {now(data.phone('smith'), a_number)})",
         line(data.phone("smith"), a_number)),
        ("company not in the site's 施工体制 (added unconfirmed; "
         f"now: {now(data.phone('takahashi'), a_number)})",
         line(data.phone("takahashi"), a_number)),
        ("menu during the confirmation: 9, then 3 = today's record", line(
            tanaka, a_number, "--digits", "93")),
        ("11 menu 9, then 4 = this month (countable days, last day, 建退共)", line(
            tanaka, a_number, "--digits", "94")),
    ]  # fmt: skip


def vonage_lines(data: DemoData, url: str, secret: str) -> list[tuple[str, str]]:
    """The same flow as Vonage plays it (NCCO): after the Twilio lines, the same workers."""
    a, b = data.sites["1001"], data.sites["1002"]
    program = shlex.quote(genba_call_path())
    prefix = (
        f"VONAGE_SIGNATURE_SECRET={secret} {program} call --provider vonage "
        f"--url {url}/vonage/answer"
    )

    def line(caller: str, dialed: str, *more: str) -> str:
        return " ".join([prefix, "--from", caller, "--to", dialed, *map(shlex.quote, more)])

    tanaka, nguyen, a_number = data.phone("tanaka"), data.phone("nguyen"), a.dial_in_number or ""
    return [
        ("Vonage 1 入場 (or 記録済み after the Twilio call): 田中, no key", line(tanaka, a_number)),
        ("Vonage 11 田中 hears his month in Japanese: 9, then 4", line(
            tanaka, a_number, "--digits", "94")),
        ("Vonage 1 Nguyễn checks in (Vietnamese)", line(nguyen, a_number)),
        ("Vonage 11 Nguyễn hears his month in Vietnamese: 9, then 4", line(
            nguyen, a_number, "--digits", "94")),
        ("Vonage 4 shared number: site code 1003#", line(
            tanaka, SHARED_NUMBER, "--digits", "1003#")),
        ("Vonage 6 answer mode reject: recorded, the call ends at once (no unanswered calls)",
         line(tanaka, b.dial_in_number or "")),
    ]  # fmt: skip


@click.command("demo")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def demo(port: int, host: str) -> None:
    """Run the embedded default: demo data, web server, RQ worker; print call lines."""
    try:
        settings, generated = prepare_environment(host, port)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.database_url)
    url = f"http://{host}:{port}"
    try:
        upgrade(engine)
        with session_scope(make_session_factory(engine)) as session:
            data = seed(session, settings.tz)
            password = _admin_login(session, settings.instance_path)
            api_token = _api_token(session, settings.instance_path)
            moment = datetime.now(UTC)
            lines = call_lines(
                data,
                url,
                settings.twilio_auth_token or "",
                lambda caller, dialed: preview(session, settings, caller, dialed, moment),
            )
    finally:
        engine.dispose()

    from voice_app import create_app

    app = create_app({"GENBA_SETTINGS": settings})
    server = make_server(host, port, app, threaded=True)
    worker = subprocess.Popen(worker_command(), env=_worker_environment(settings))
    token = settings.twilio_auth_token or ""
    click.echo(f"genba-call demo: {url}  (database {engine.url.render_as_string()})")
    click.echo(f"  RQ worker pid {worker.pid}; Redis {settings.redis_url or 'embedded'}")
    click.echo(f"  管理画面 admin UI: {url}/admin/login  {DEMO_EMAIL} / {password}")
    click.echo(f"  admin API token: {api_token}")
    source = "generated for the demo" if generated else "from the environment"
    click.echo(f"  TWILIO_AUTH_TOKEN ({source}): {token}")
    click.echo(f"  VONAGE_SIGNATURE_SECRET: {settings.vonage_signature_secret}")
    click.echo("\n通話の例 / simulated calls (paste into another terminal):")
    for title, command in lines:
        click.echo(f"  # {title}\n  {command}")
    click.echo("\nVonage (NCCO) の例 / the same calls as Vonage plays them:")
    for title, command in vonage_lines(data, url, settings.vonage_signature_secret or ""):
        click.echo(f"  # {title}\n  {command}")
    click.echo("\nCtrl-C で終了 / Ctrl-C stops the server and the worker.", err=False)

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell script's background job starts with SIGINT ignored, and Python
    # then installs no handler of its own, so Ctrl-C (or a kill -INT) would do nothing.
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopping …")
    finally:
        server.server_close()
        _stop(worker)
        stop_embedded_server(settings)
    click.echo("stopped.")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


COMMANDS = [demo]
