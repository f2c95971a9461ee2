"""Entry, exit, repeat or confirm: what a call means, from the worker's recent events at the
site, by the day rules of `ivr_flows.days`.

- Within the repeat window of the worker's last phone/card event at the site: a repeat,
  nothing new is recorded.
- Otherwise the events are classified (`classify`) and the latest entry decides: none, or
  closed by an exit → an entry (a re-entry after an exit is an entry); open for longer than
  the longest shift → the entry of a new day (the open entry gets `no_exit` in
  reconciliation, and the caller hears it); open, but younger than the exit confirmation →
  ask before recording the exit; open otherwise → the exit (overnight when the entry is of an
  earlier work date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ivr_flows.days import LOOKBACK, DayRules, classify
from ivr_flows.model import PastEvent


def history_since(now: datetime, tz: ZoneInfo) -> datetime:
    """Where a call's look-back starts: the start of the local day of `now` minus the longest
    configurable shift, so the open entry and every event of its work date are seen."""
    earliest = (now - LOOKBACK).astimezone(tz)
    midnight = earliest.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(now.tzinfo)


def start_of_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


@dataclass(frozen=True)
class Decision:
    """What a call means: `entry`, `exit`, `repeat`, or `confirm` (ask before the exit)."""

    kind: Literal["entry", "exit", "repeat", "confirm"]
    last: PastEvent | None = None  # the event a repeat repeats
    entry: PastEvent | None = None  # the open entry an exit closes or a confirm names
    overnight: bool = False  # the exit closes an entry of an earlier work date
    expired_entry: PastEvent | None = None  # an entry left open past the longest shift


def decide(history: Sequence[PastEvent], now: datetime, tz: ZoneInfo, rules: DayRules) -> Decision:
    """Entry, exit, repeat or confirm for a call at `now`, from the worker's events at the
    site (`history_since(now)` onwards)."""
    past = sorted((e for e in history if e.occurred_at <= now), key=lambda e: e.occurred_at)
    if past and now - past[-1].occurred_at < timedelta(seconds=rules.repeat_window_s):
        return Decision("repeat", last=past[-1])
    roles = classify(past, rules, tz)
    entries = [i for i, role in enumerate(roles) if role == "entry"]
    if not entries:
        return Decision("entry")
    opener = past[entries[-1]]
    closed = "exit" in roles[entries[-1] + 1 :]
    if rules.expired(opener.occurred_at, now):
        return Decision("entry", expired_entry=None if closed else opener)
    if closed:  # a re-entry after an exit
        return Decision("entry")
    if now - opener.occurred_at < timedelta(seconds=rules.exit_confirm_s):
        return Decision("confirm", entry=opener)
    overnight = opener.occurred_at.astimezone(tz).date() != now.astimezone(tz).date()
    return Decision("exit", entry=opener, overnight=overnight)
