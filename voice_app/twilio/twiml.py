"""Steps of the flow as TwiML, built only through twilio's `VoiceResponse`.

Every `<Say>` carries its language tag and voice.  A `<Gather>` whose silence must come back
to the flow is followed by a `<Redirect>` to the same step URL (no Digits: a timeout); a
gather that is only an offer (the menu key during the confirmation) is followed by `<Hangup/>`.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

from ivr_flows.messages import render
from ivr_flows.model import CallState, Prompt, Step


def step_path(n: int) -> str:
    """The URL path of webhook step `n` (0 is the Voice URL)."""
    return "/twilio/voice" if n == 0 else f"/twilio/gather/{n}"


_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}
# Any character either escape changes: a value without one is written as it is (`escape`
# walks its seven replacements in Python for every attribute; most values have nothing).
_ESCAPED = re.compile(r'[&<>"\r\n\t]')


def as_text(response: TwiML) -> str:
    """The document `str(response)` gives, written straight from twilio's tree.

    twilio's `to_xml` turns its tree into ElementTree elements and has ElementTree serialize
    them to UTF-8 bytes, decoded again: for an answer of five verbs that is two thirds of the
    cost of building and writing it.  This writes the same text as ElementTree does (attributes
    in twilio's sorted order, booleans as `true`/`false`, `<Verb />` when empty, ElementTree's
    escapes; a test pins it equal to `str(response)`).  Our answers nest verbs and text in a
    verb's value only, never a bare string (which twilio writes as another element's tail)."""
    out = [_DECLARATION]
    _write(response, out)
    return "".join(out)


def _write(node: TwiML, out: list[str]) -> None:
    out.append("<" + node.name)
    for key in sorted(node.attrs):
        value = node.attrs[key]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if _ESCAPED.search(text):
            text = escape(text, _ATTRIBUTE_ENTITIES)
        out.append(f' {key}="{text}"')
    body = node.value or ""
    if not body and not node.verbs:
        out.append(" />")
        return
    out.append(">" + (escape(body) if _ESCAPED.search(body) else body))
    for verb in node.verbs:
        if not isinstance(verb, TwiML):
            raise TypeError(f"a bare string in <{node.name}>: put text in a verb's value")
        _write(verb, out)
    out.append(f"</{node.name}>")


def to_twiml(step: Step, next_path: str) -> str:
    response = VoiceResponse()
    if step.reject:
        response.reject()
        return as_text(response)
    target = response
    if step.gather is not None:
        target = response.gather(
            action=next_path,
            method="POST",
            input="dtmf",
            num_digits=step.gather.num_digits,
            finish_on_key=step.gather.finish_on_key,
            timeout=step.gather.timeout_s,
        )
    for prompt in step.prompts:
        spoken = render(prompt)
        target.say(
            spoken.text, language=spoken.voices.twilio_language, voice=spoken.voices.twilio_voice
        )
    if step.gather is not None and step.gather.on_timeout == "redirect":
        response.redirect(next_path, method="POST")
    else:
        response.hangup()
    return as_text(response)


def _said(*messages: str) -> str:
    """A fixed answer in Japanese then English (who is calling is not known)."""
    state = CallState()
    prompts = tuple(Prompt(m, lang) for m in messages for lang in ("ja", "en"))
    return to_twiml(Step(prompts=prompts, state=state), "")


def spooled_answer() -> str:
    """The database did not answer, the call is safe in the local spool."""
    return _said("spooled")


def system_down_answer() -> str:
    """Neither the database nor the spool took the call: nothing was recorded."""
    return _said("system_down")


def empty_answer() -> str:
    return as_text(VoiceResponse())
