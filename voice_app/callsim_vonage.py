"""A phone call played against a running server exactly as Vonage's Voice API plays it.

JSON POSTs (`from`, `to` as E.164 digits without `+`, `uuid`, `conversation_uuid`) with
`Authorization: Bearer <JWT>` (HS256 with the signature secret, `payload_hash` of the body,
`iat` now), and the NCCO followed action by action: `talk` is printed with its language,
`input` is answered from a key source (its `maxDigits`, `submitOnHash`; silence is a timeout)
and its result POSTed to its `eventUrl` as `{"dtmf": {"digits", "timed_out"}}`, whose answer
is the next NCCO.  An NCCO that runs out ends the call; an empty one ends it at once (what
the server answers where Twilio would `<Reject/>`).  The call's completion is posted to the
event URL at the end, as Vonage does.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.request import Request

from voice_app.callsim import (
    MAX_REQUESTS,
    KeySource,
    Outcome,
    SimulatorError,
    send,
    speech_seconds,
)
from voice_app.vonage.security import sign


def _digits(number: str) -> str:
    return number.removeprefix("+")


class VonageSimulator:
    def __init__(
        self,
        url: str,
        caller: str,
        dialed: str,
        secret: str,
        keys: KeySource,
        call_sid: str | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.url = url
        self.caller = caller
        self.dialed = dialed
        self.secret = secret
        self.keys = keys
        self.call_sid = call_sid or str(uuid.uuid4())
        self.echo = echo
        self.outcome = Outcome("end", 0, 0.0)

    def _say(self, line: str) -> None:
        self.outcome.transcript.append(line)
        self.echo(line)

    def body(self, **extra: Any) -> dict[str, Any]:
        return {
            "from": _digits(self.caller),
            "to": _digits(self.dialed),
            "uuid": self.call_sid,
            "conversation_uuid": "CON-" + self.call_sid,
            **extra,
        }

    def run(self) -> Outcome:
        current: str = self.url
        extra: dict[str, Any] = {}
        for _ in range(MAX_REQUESTS):
            ncco = self.post(current, self.body(**extra))
            following = self._play(ncco)
            if following is None:
                return self.outcome
            current, extra = following
        raise SimulatorError(f"more than {MAX_REQUESTS} webhooks in one call: a loop?")

    def _play(self, ncco: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
        if not ncco:
            if self.outcome.requests == 1:  # at the answer URL: where Twilio would reject
                self._say("  (empty NCCO: the call ends at once)")
                self.outcome.ending = "reject"
            else:
                self._say("  (empty NCCO: Vonage hangs up)")
                self.outcome.ending = "hangup"
            return None
        for action in ncco:
            kind = action.get("action")
            if kind == "talk":
                text, language = str(action.get("text", "")), str(action.get("language", "en-US"))
                self.outcome.speech_s += speech_seconds(text, language)
                self._say(f"  [{language}] {text}")
            elif kind == "input":
                return self._input(action)
            else:
                self._say(f"  {{{kind}}} (not simulated)")
        self._say("  (end of NCCO: Vonage hangs up)")
        self.outcome.ending = "hangup"
        return None

    def _input(self, action: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        urls = action.get("eventUrl") or []
        if not urls:
            raise SimulatorError("an input action without an eventUrl")
        dtmf = action.get("dtmf") or {}
        finish = "#" if dtmf.get("submitOnHash") else ""
        keys = self.keys.read(int(dtmf.get("maxDigits", 20)), finish)
        if not keys:
            self.outcome.speech_s += float(dtmf.get("timeOut", 3))
            self._say("  (no key)")
            return str(urls[0]), {"dtmf": {"digits": "", "timed_out": True}}
        self._say(f"  keys: {keys}")
        return str(urls[0]), {"dtmf": {"digits": keys.rstrip("#"), "timed_out": False}}

    def post(self, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        self.outcome.requests += 1
        self._say(f"POST {url}")
        raw = self._send(url, body)
        try:
            ncco = json.loads(raw)
        except ValueError as exc:
            raise SimulatorError(f"{url}: the answer is not JSON ({exc})") from exc
        if not isinstance(ncco, list):
            raise SimulatorError(f"{url}: the answer is not an NCCO (a JSON list of actions)")
        return ncco

    def status_callback(self, url: str) -> None:
        """What Vonage posts to the event URL when the call is over."""
        duration = math.ceil(self.outcome.speech_s)
        self._send(url, self.body(status="completed", duration=str(duration)))

    def _send(self, url: str, body: dict[str, Any]) -> bytes:
        raw = json.dumps(body).encode()
        token = sign(raw, self.secret, int(time.time()))
        request = Request(
            url,
            data=raw,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "User-Agent": "genba-call-simulator",
            },
        )
        return send(
            request, "the JWT was refused: is VONAGE_SIGNATURE_SECRET the same on both sides?"
        )
