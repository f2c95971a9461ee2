"""The message catalogue: every prompt in every offered language (`ivr_flows.languages`).

The flow names messages and parameters (`Prompt`); this module makes the sentence and names
the voice it is said with.  Names are read from kana in Japanese and in Latin letters
elsewhere; times and dates as a speaker of the language says them.  A worker registered in a
language without a catalogue of its own hears the one `ivr_flows.languages` names for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr_flows.languages import VOICES, Voices, catalogue_code
from ivr_flows.messages import en, id, ja, ne, th, tl, vi, zh
from ivr_flows.messages.base import Catalogue
from ivr_flows.model import CalendarDate, ClockTime, Name, Prompt, SiteRef
from ivr_flows.readback import spoken_name

CATALOGUES: dict[str, Catalogue] = {
    c.code: c
    for c in (
        ja.CATALOGUE,
        en.CATALOGUE,
        vi.CATALOGUE,
        zh.CATALOGUE,
        id.CATALOGUE,
        tl.CATALOGUE,
        th.CATALOGUE,
        ne.CATALOGUE,
    )
}


@dataclass(frozen=True)
class Spoken:
    text: str
    language: str  # the catalogue's code
    voices: Voices


def catalogue_for(language: str) -> Catalogue:
    return CATALOGUES[catalogue_code(language)]


def render(prompt: Prompt) -> Spoken:
    cat = catalogue_for(prompt.language)
    values = {key: _value(cat, key, value) for key, value in prompt.params.items()}
    return Spoken(cat.messages[prompt.message].format(**values), cat.code, VOICES[cat.code])


def _value(cat: Catalogue, key: str, value: Any) -> str:
    if isinstance(value, Name):
        return spoken_name(value, cat.code)
    if isinstance(value, ClockTime):
        return cat.time(value)
    if isinstance(value, CalendarDate):
        return cat.date(value)
    if isinstance(value, SiteRef):
        return cat.site.format(name=value.name, code=" ".join(value.code))
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
