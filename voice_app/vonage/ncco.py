"""Steps of the flow as an NCCO (Vonage's call control: a JSON list of actions).

Each prompt is a `talk` with its language and style (`ivr_flows.languages.VOICES`).  A
gather is an `input` of DTMF whose `eventUrl` is the next step; the talks before it may be
interrupted by a key (`bargeIn`).  Vonage posts to that URL on a key and on a timeout alike
(empty digits): the flow then goes on as after Twilio's `<Redirect>`, and an offer that needs
no answer (the menu key during the confirmation) ends the call from there.  Without a gather
the NCCO ends after the talks, and so does the call.

Vonage cannot leave a call unanswered: a step that Twilio answers with `<Reject/>` (answer
mode `reject`) is an empty NCCO here, which ends the call at once; the event is recorded all
the same.
"""

from __future__ import annotations

import json
from typing import Any

from ivr_flows.messages import render
from ivr_flows.model import CallState, Prompt, Step

MAX_DIGITS = 20  # the most an input action takes
MAX_TIMEOUT_S = 10


def step_path(n: int) -> str:
    """The URL path of webhook step `n` (0 is the answer URL)."""
    return "/vonage/answer" if n == 0 else f"/vonage/input/{n}"


def actions(step: Step, next_n: int, base: str) -> list[dict[str, Any]]:
    if step.reject:
        return []
    gather = step.gather
    out: list[dict[str, Any]] = []
    for prompt in step.prompts:
        spoken = render(prompt)
        talk: dict[str, Any] = {
            "action": "talk",
            "text": spoken.text,
            "language": spoken.voices.vonage_language,
            "style": spoken.voices.vonage_style,
        }
        if gather is not None:
            talk["bargeIn"] = True
        out.append(talk)
    if gather is not None:
        dtmf: dict[str, Any] = {
            "maxDigits": gather.num_digits or MAX_DIGITS,
            "timeOut": max(1, min(gather.timeout_s, MAX_TIMEOUT_S)),
        }
        if gather.finish_on_key == "#":
            dtmf["submitOnHash"] = True
        out.append(
            {
                "action": "input",
                "type": ["dtmf"],
                "dtmf": dtmf,
                "eventUrl": [base + step_path(next_n)],
                "eventMethod": "POST",
            }
        )
    return out


def to_ncco(step: Step, next_n: int, base: str) -> str:
    return json.dumps(actions(step, next_n, base), ensure_ascii=False, separators=(",", ":"))


def _said(*messages: str) -> str:
    """A fixed answer in Japanese then English (who is calling is not known)."""
    prompts = tuple(Prompt(m, lang) for m in messages for lang in ("ja", "en"))
    return to_ncco(Step(prompts=prompts, state=CallState()), 0, "")


def spooled_answer() -> str:
    return _said("spooled")


def system_down_answer() -> str:
    return _said("system_down")


def refused_answer() -> str:
    """A call refused before anything is recorded (the rate limit): ended at once, as a
    `reject` step is (Vonage's nearest to Twilio's `<Reject/>`)."""
    return to_ncco(Step(prompts=(), state=CallState(), reject=True), 0, "")
