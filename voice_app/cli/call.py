"""`genba-call call`: the call simulator (docs/ivr.md), as Twilio (`voice_app.callsim`) or Vonage
(`voice_app.callsim_vonage`) plays the call."""

from __future__ import annotations

from urllib.parse import urljoin

import click

from voice_app.callsim import CallSimulator, ScriptedKeys, SimulatorError
from voice_app.callsim_vonage import VonageSimulator
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


STATUS_PATHS = {"twilio": "/twilio/status", "vonage": "/vonage/event"}
KEY_NAMES = {
    "twilio": ("TWILIO_AUTH_TOKEN", "--token"),
    "vonage": ("VONAGE_SIGNATURE_SECRET", "--secret"),
}


@click.command("call")
@click.option(
    "--url",
    required=True,
    help="Voice URL (…/twilio/voice) or, with --provider vonage, answer URL (…/vonage/answer)",
)
@click.option(
    "--provider",
    type=click.Choice(["twilio", "vonage"]),
    default="twilio",
    show_default=True,
    help="play the call as this provider does",
)
@click.option("--from", "caller", required=True, help="caller id; 'anonymous' for 非通知")
@click.option("--to", "dialed", required=True, help="the number dialled")
@click.option("--digits", help="keys for the gathers ('.' = silence at one); else the terminal")
@click.option(
    "--token",
    envvar="TWILIO_AUTH_TOKEN",
    show_envvar=True,
    help="Twilio: key of X-Twilio-Signature (default: $TWILIO_AUTH_TOKEN)",
)
@click.option(
    "--secret",
    envvar="VONAGE_SIGNATURE_SECRET",
    show_envvar=True,
    help="Vonage: key of the webhooks' JWT (default: $VONAGE_SIGNATURE_SECRET)",
)
@click.option("--call-sid", help="reuse a CallSid (Vonage: uuid), as a provider's retry would")
@click.option(
    "--status-callback/--no-status-callback",
    default=True,
    help="post /twilio/status (Vonage: /vonage/event) when the call ends (default: yes)",
)
def call(
    url: str,
    provider: str,
    caller: str,
    dialed: str,
    digits: str | None,
    token: str | None,
    secret: str | None,
    call_sid: str | None,
    status_callback: bool,
) -> None:
    """Play one call against a running server exactly as Twilio (or Vonage) would; print
    every prompt."""
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--url")
    key = token if provider == "twilio" else secret
    if not key:
        variable, option = KEY_NAMES[provider]
        raise click.ClickException(
            f"鍵がありません / no key: set {variable} (the server's) or pass {option} "
            "(genba-call demo prints it)"
        )
    keys = ScriptedKeys(digits) if digits is not None else TerminalKeys()
    player = CallSimulator if provider == "twilio" else VonageSimulator
    simulator = player(
        url, _number(caller), _number(dialed), key, keys, call_sid=call_sid, echo=click.echo
    )
    label = "CallSid" if provider == "twilio" else "Vonage uuid"
    click.echo(f"☎ {simulator.caller} → {simulator.dialed}  ({label} {simulator.call_sid})")
    try:
        outcome = simulator.run()
        if status_callback:
            simulator.status_callback(urljoin(url, STATUS_PATHS[provider]))
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc
    if outcome.ending == "reject":
        seconds = "never answered" if provider == "twilio" else "ended at once"
    else:
        seconds = f"~{outcome.speech_s:.0f} s"
    click.echo(
        f"通話終了 / call ended ({outcome.ending}); {outcome.requests} webhook(s), {seconds}"
    )


COMMANDS = [call]
