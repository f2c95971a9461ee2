"""`genba-call call`: the call simulator (docs/ivr.md; see `voice_app.callsim`)."""

from __future__ import annotations

from urllib.parse import urljoin

import click

from voice_app.callsim import CallSimulator, ScriptedKeys, SimulatorError
from workers_db.identifiers import try_normalize_phone

PHONE_KEYS = "0123456789*#"


class TerminalKeys:
    """Keys typed at the terminal, one line per gather; an empty line (or EOF) is silence."""

    def read(self, num_digits: int | None, finish_on_key: str) -> str | None:
        wanted = f"{num_digits} key(s)" if num_digits else f"keys ending with {finish_on_key!r}"
        try:
            line = click.prompt(
                f"  ボタン / keys ({wanted}; Enter = 押さない)", default="", show_default=False
            )
        except click.Abort:
            return None
        keys = "".join(c for c in line if c in PHONE_KEYS)
        if keys != line.strip():
            click.echo(f"  (only {PHONE_KEYS} are keys on a phone: using {keys!r})", err=True)
        return ScriptedKeys(keys).read(num_digits, finish_on_key) if keys else None


def _number(value: str) -> str:
    """As Twilio sends it: E.164 for a number, anything else (anonymous …) unchanged."""
    return try_normalize_phone(value) or value


@click.command("call")
@click.option("--url", required=True, help="Voice URL, e.g. http://127.0.0.1:5000/twilio/voice")
@click.option("--from", "caller", required=True, help="caller id; 'anonymous' for 非通知")
@click.option("--to", "dialed", required=True, help="the number dialled")
@click.option("--digits", help="keys for the gathers ('.' = silence at one); else the terminal")
@click.option(
    "--token",
    envvar="TWILIO_AUTH_TOKEN",
    show_envvar=True,
    help="key of X-Twilio-Signature (default: $TWILIO_AUTH_TOKEN)",
)
@click.option("--call-sid", help="reuse a CallSid, as a Twilio retry would")
@click.option(
    "--status-callback/--no-status-callback",
    default=True,
    help="post /twilio/status when the call ends (default: yes)",
)
def call(
    url: str,
    caller: str,
    dialed: str,
    digits: str | None,
    token: str | None,
    call_sid: str | None,
    status_callback: bool,
) -> None:
    """Play one call against a running server exactly as Twilio would; print every prompt."""
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--url")
    if not token:
        raise click.ClickException(
            "トークンがありません / no token: set TWILIO_AUTH_TOKEN (the server's) or pass "
            "--token (genba-call demo prints it)"
        )
    keys = ScriptedKeys(digits) if digits is not None else TerminalKeys()
    simulator = CallSimulator(
        url, _number(caller), _number(dialed), token, keys, call_sid=call_sid, echo=click.echo
    )
    click.echo(f"☎ {simulator.caller} → {simulator.dialed}  (CallSid {simulator.call_sid})")
    try:
        outcome = simulator.run()
        if status_callback:
            simulator.status_callback(urljoin(url, "/twilio/status"))
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc
    seconds = "never answered" if outcome.ending == "reject" else f"~{outcome.speech_s:.0f} s"
    click.echo(
        f"通話終了 / call ended ({outcome.ending}); {outcome.requests} webhook(s), {seconds}"
    )


COMMANDS = [call]
