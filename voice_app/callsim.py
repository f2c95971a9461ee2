"""A phone call played against a running server exactly as Twilio plays it.

Form-encoded POSTs signed with the auth token (`X-Twilio-Signature`, twilio's own
`RequestValidator`), a CallSid for the whole call, and the TwiML followed verb by verb:
`<Say>` is printed with its language, `<Gather>` is answered from a key source (scripted or
the terminal; silence lets the document go on), `<Redirect>` and a gather's `action` are
followed (relative URLs against the current one), `<Hangup/>` and `<Reject/>` end the call.
At the end the status callback is posted, as Twilio does.
"""

from __future__ import annotations

import math
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

from twilio.request_validator import RequestValidator

MAX_REQUESTS = 30
HTTP_TIMEOUT_S = 15  # what Twilio grants a webhook
# Speech rate for the call-time estimate, by the language part of the voice's tag: a kana or
# kanji is about a mora, a hanzi a syllable, a Thai letter less than one; Latin and
# Devanagari letters (others) about 14 a second.
CHARS_PER_SECOND = {"ja": 7.0, "cmn": 4.5, "zh": 4.5, "th": 9.0}
DEFAULT_CHARS_PER_SECOND = 14.0


def speech_seconds(text: str, language: str) -> float:
    """About how long a voice of `language` (a BCP-47 tag) takes to say `text`."""
    rate = CHARS_PER_SECOND.get(language.split("-")[0], DEFAULT_CHARS_PER_SECOND)
    return len(text.strip()) / rate


class SimulatorError(RuntimeError):
    """The server did not answer as Twilio expects (the message says what and where)."""


class KeySource(Protocol):
    def read(self, num_digits: int | None, finish_on_key: str) -> str | None:
        """Keys pressed at one `<Gather>` (without the finishing key), or None for silence."""


class ScriptedKeys:
    """Keys given in advance (`--digits`).  Each gather takes what it needs: `numDigits`
    keys, or keys up to its `finishOnKey`.  A `.` is silence at one gather; when the keys run
    out, every further gather hears silence."""

    def __init__(self, keys: str) -> None:
        self.buffer = keys

    def read(self, num_digits: int | None, finish_on_key: str) -> str | None:
        if not self.buffer:
            return None
        if self.buffer[0] == ".":
            self.buffer = self.buffer[1:]
            return None
        taken = ""
        while self.buffer and self.buffer[0] != ".":
            key, self.buffer = self.buffer[0], self.buffer[1:]
            if finish_on_key and key == finish_on_key:
                return taken + key
            taken += key
            if num_digits is not None and len(taken) >= num_digits:
                break
        return taken


@dataclass
class Outcome:
    ending: str  # hangup, reject, or end (the document ran out)
    requests: int
    speech_s: float
    transcript: list[str] = field(default_factory=list)


class CallSimulator:
    def __init__(
        self,
        url: str,
        caller: str,
        dialed: str,
        token: str,
        keys: KeySource,
        call_sid: str | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.url = url
        self.caller = caller
        self.dialed = dialed
        self.validator = RequestValidator(token)
        self.keys = keys
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.account_sid = "AC" + secrets.token_hex(16)
        self.echo = echo
        self.outcome = Outcome("end", 0, 0.0)

    def _say(self, line: str) -> None:
        self.outcome.transcript.append(line)
        self.echo(line)

    def run(self) -> Outcome:
        current, status = self.url, "ringing"
        extra: dict[str, str] = {}
        for _ in range(MAX_REQUESTS):
            root = self.post(current, {"CallStatus": status, **extra})
            status = "in-progress"
            following = self._play(root, current)
            if following is None:
                return self.outcome
            current, extra = following
        raise SimulatorError(f"more than {MAX_REQUESTS} webhooks in one call: a loop?")

    def _play(self, root: ET.Element, current: str) -> tuple[str, dict[str, str]] | None:
        for verb in root:
            if verb.tag == "Say":
                self._speak(verb)
            elif verb.tag == "Pause":
                self.outcome.speech_s += float(verb.get("length", "1"))
            elif verb.tag == "Gather":
                for say in verb.iter("Say"):
                    self._speak(say)
                pressed = self._gather(verb)
                if pressed is not None:
                    digits, finished = pressed
                    extra = {"Digits": digits} | ({"FinishedOnKey": finished} if finished else {})
                    return urljoin(current, verb.get("action") or current), extra
            elif verb.tag == "Redirect":
                self._say(f"  <Redirect {verb.text}>")
                return urljoin(current, (verb.text or "").strip() or current), {}
            elif verb.tag in ("Hangup", "Reject"):
                self._say(f"  <{verb.tag}>")
                self.outcome.ending = verb.tag.lower()
                return None
            else:
                self._say(f"  <{verb.tag}> (not simulated)")
        self._say("  (end of TwiML: Twilio hangs up)")
        return None

    def _speak(self, say: ET.Element) -> None:
        text = (say.text or "").strip()
        language = say.get("language", "en-US")
        self.outcome.speech_s += speech_seconds(text, language)
        self._say(f"  [{language}] {text}")

    def _gather(self, gather: ET.Element) -> tuple[str, str] | None:
        num = gather.get("numDigits")
        finish = gather.get("finishOnKey", "#")
        keys = self.keys.read(int(num) if num and num.isdigit() else None, finish)
        if not keys:
            self.outcome.speech_s += float(gather.get("timeout", "5"))
            self._say("  (no key)")
            return None
        self._say(f"  keys: {keys}")
        if finish and keys.endswith(finish):
            return keys[: -len(finish)], finish
        return keys, ""

    def post(self, url: str, extra: dict[str, str]) -> ET.Element:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "From": self.caller,
            "Caller": self.caller,
            "To": self.dialed,
            "Called": self.dialed,
            "Direction": "inbound",
            **extra,
        }
        self.outcome.requests += 1
        self._say(f"POST {url}")
        body = self._send(url, params)
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise SimulatorError(f"{url}: the answer is not XML ({exc})") from exc
        if root.tag != "Response":
            raise SimulatorError(f"{url}: the answer is <{root.tag}>, not TwiML <Response>")
        return root

    def status_callback(self, url: str) -> None:
        """What Twilio posts when the call is over (CallStatus, CallDuration)."""
        rejected = self.outcome.ending == "reject"
        duration = 0 if rejected else math.ceil(self.outcome.speech_s)
        params = {
            "AccountSid": self.account_sid,
            "CallSid": self.call_sid,
            "From": self.caller,
            "To": self.dialed,
            "CallStatus": "busy" if rejected else "completed",
            "CallDuration": str(duration),
            "Direction": "inbound",
        }
        self._send(url, params)

    def _send(self, url: str, params: dict[str, str]) -> bytes:
        request = Request(
            url,
            data=urlencode(params).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": self.validator.compute_signature(url, params),
                "User-Agent": "genba-call-simulator",
            },
        )
        return send(
            request,
            "the signature was refused: is TWILIO_AUTH_TOKEN the same on both sides, and "
            "does --url match the server's PUBLIC_BASE_URL?",
        )


def send(request: Request, refused_hint: str) -> bytes:
    """POST one webhook; a refusal (403) or an unreachable server is a SimulatorError."""
    url = request.full_url
    try:
        with urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return bytes(response.read())
    except HTTPError as exc:
        hint = f" ({refused_hint})" if exc.code == 403 else ""
        raise SimulatorError(f"{url}: HTTP {exc.code}{hint}") from exc
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SimulatorError(f"{url}: cannot reach the server ({reason})") from exc
