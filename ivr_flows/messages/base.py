"""The shape of one language's catalogue."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ivr_flows.model import CalendarDate, ClockTime


@dataclass(frozen=True)
class Catalogue:
    """Messages of one language and how it says times, dates, sites, lists and choices.

    The voice each provider speaks it with is in `ivr_flows.languages.VOICES`.
    """

    code: str
    time: Callable[[ClockTime], str]
    date: Callable[[CalendarDate], str]
    site: str  # a site: {name} (its registered name) or {code} (its SITE_CODE, spaced digits)
    words: Mapping[str, str]  # entry / exit / touch, for today's record
    item: str  # one event of today's record: {word}, {time}
    item_separator: str
    option: str  # one member of a crew phone: {name}, {digit}
    option_separator: str
    messages: Mapping[str, str]
