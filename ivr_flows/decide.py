"""Entry, exit or repeat: what a call means, from the worker's recent events at the site.

- Within the repeat window of the worker's last phone/card event at the site: a repeat,
  nothing new is recorded.
- Otherwise the day's events are replayed from the start of the work day: an event with a
  direction sets it, a card touch without one toggles.  Open (an entry without an exit) → this
  call is the exit; closed (nothing yet, or after an exit) → an entry (a re-entry after an
  exit is recorded as an entry).
- No event yet today, but yesterday ended open and its entry is less than 25 hours old: an
  overnight shift, this call is its exit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ivr_flows.model import PastEvent
from ivr_flows.policy import OVERNIGHT_MAX_S


@dataclass(frozen=True)
class Decision:
    kind: Literal["entry", "exit", "repeat"]
    last: PastEvent | None = None  # the event a repeat repeats
    overnight_entry: PastEvent | None = None  # the entry an overnight exit closes


def history_since(now: datetime, tz: ZoneInfo) -> datetime:
    """Start of the previous local day: all a decision needs to look at."""
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - timedelta(days=1)).astimezone(now.tzinfo)


def start_of_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def decide(
    history: Sequence[PastEvent], now: datetime, tz: ZoneInfo, repeat_window_s: int
) -> Decision:
    past = sorted((e for e in history if e.occurred_at <= now), key=lambda e: e.occurred_at)
    if past and (now - past[-1].occurred_at).total_seconds() < repeat_window_s:
        return Decision("repeat", last=past[-1])
    today = now.astimezone(tz).date()
    todays = [e for e in past if e.occurred_at.astimezone(tz).date() == today]
    if todays:
        is_open, _ = open_entry(todays)
        return Decision("exit" if is_open else "entry")
    yesterday = today - timedelta(days=1)
    _, opener = open_entry([e for e in past if e.occurred_at.astimezone(tz).date() == yesterday])
    if opener is not None and (now - opener.occurred_at).total_seconds() < OVERNIGHT_MAX_S:
        return Decision("exit", overnight_entry=opener)
    return Decision("entry")


def open_entry(events: Sequence[PastEvent]) -> tuple[bool, PastEvent | None]:
    """Replay a day's events: is the worker inside at the end, and since which event?"""
    is_open, opener = False, None
    for event in events:
        if event.direction == "entry" or (event.direction is None and not is_open):
            is_open, opener = True, event
        else:
            is_open = False
    return is_open, opener if is_open else None
