"""The message catalogue: every prompt in Japanese, English and Vietnamese.

The flow names messages and parameters (`Prompt`); this module makes the sentence, with the
`<Say>` language tag and voice.  Names are read from kana in Japanese and in Latin letters
elsewhere; times as a speaker of the language says them (`ivr_flows.readback`).  A worker
registered in a language without a catalogue (zh, id, tl, ne, my, pt) hears English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr_flows.messages import en, ja, vi
from ivr_flows.messages.base import Catalogue
from ivr_flows.model import ClockTime, Name, Prompt
from ivr_flows.readback import spoken_name

CATALOGUES: dict[str, Catalogue] = {c.code: c for c in (ja.CATALOGUE, en.CATALOGUE, vi.CATALOGUE)}
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Spoken:
    text: str
    tag: str
    voice: str


def catalogue_for(language: str) -> Catalogue:
    return CATALOGUES.get(language) or CATALOGUES[FALLBACK_LANGUAGE]


def render(prompt: Prompt) -> Spoken:
    cat = catalogue_for(prompt.language)
    values = {key: _value(cat, key, value) for key, value in prompt.params.items()}
    return Spoken(cat.messages[prompt.message].format(**values), cat.tag, cat.voice)


def _value(cat: Catalogue, key: str, value: Any) -> str:
    if isinstance(value, Name):
        return spoken_name(value, cat.code)
    if isinstance(value, ClockTime):
        return cat.time(value)
    if key == "items":  # today's record: [(word key, ClockTime)]
        return cat.item_separator.join(
            cat.item.format(word=cat.words[word], time=cat.time(at)) for word, at in value
        )
    if key == "options":  # a crew phone's members: [(digit, Name)]
        return cat.option_separator.join(
            cat.option.format(digit=digit, name=spoken_name(name, cat.code))
            for digit, name in value
        )
    return str(value)
