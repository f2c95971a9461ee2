"""The shape of one language's catalogue."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ivr_flows.model import ClockTime


@dataclass(frozen=True)
class Catalogue:
    """Messages of one language and how it says times, lists and choices.

    `tag` and `voice` become `<Say language voice>`: Google voices, which Twilio offers for
    Japanese, English and Vietnamese alike.
    """

    code: str
    tag: str
    voice: str
    time: Callable[[ClockTime], str]
    words: Mapping[str, str]  # entry / exit / touch, for today's record
    item: str  # one event of today's record: {word}, {time}
    item_separator: str
    option: str  # one member of a crew phone: {name}, {digit}
    option_separator: str
    messages: Mapping[str, str]
