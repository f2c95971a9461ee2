"""The day rules: what a presence event (a call or a card touch) means for a worker's day.

One home for every surface.  The IVR decides each call with `classify` and `decide`
(`ivr_flows.decide`); reconciliation (`jobs.reconcile_sql`) applies the same rules set-based,
with the numbers of the same `DayRules`; docs/reconciliation.md ("Rules") states them in
words and `tests/reference_domain.py` restates them as a plain loop for the property tests.

Per worker and site, presence events in time order:

- **Repeat**: less than `repeat_window_s` after the previous event (of any kind).
- **Direction**: a call carries the direction the IVR chose; a direction-less card touch is
  the entry when it is the first non-repeat event of its work date that is not an exit, or
  when the latest entry has expired; otherwise an exit (the last one wins).
- **Longest shift**: an entry stays open for its exit at most `max_shift_s`; an exit later
  than that starts nothing, and the open entry gets `no_exit`.  A night shift shorter than
  that pairs across midnight.
- **Exit confirmation**: a call after the repeat window but sooner than `exit_confirm_s`
  after the open entry asks (key 2) before recording an exit; 0 turns the question off.
- **Site hop**: one worker's events at two sites less than `site_hop_s` apart raise
  `overlapping_sites` (both days still count until the office decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from ivr_flows.model import PastEvent

Role = Literal["repeat", "entry", "exit"]

# How far back a call looks for the open entry (and reconciliation for an exit's entry):
# no shift may be longer (the settings refuse a GENBA_MAX_SHIFT_H above 48).
LOOKBACK = timedelta(hours=48)


class DayRuleSettings(Protocol):
    """What `DayRules.of` reads (the service's `Settings`)."""

    @property
    def repeat_window_s(self) -> int: ...
    @property
    def exit_confirm_s(self) -> int: ...
    @property
    def max_shift_h(self) -> int: ...
    @property
    def site_hop_s(self) -> int: ...


@dataclass(frozen=True)
class DayRules:
    repeat_window_s: int
    exit_confirm_s: int
    max_shift_s: int
    site_hop_s: int

    def __post_init__(self) -> None:
        if not 0 < self.max_shift_s <= LOOKBACK.total_seconds():
            raise ValueError(f"max_shift_s must be in 1..{LOOKBACK.total_seconds():.0f}")

    @classmethod
    def of(cls, settings: DayRuleSettings) -> DayRules:
        return cls(
            repeat_window_s=settings.repeat_window_s,
            exit_confirm_s=settings.exit_confirm_s,
            max_shift_s=settings.max_shift_h * 3600,
            site_hop_s=settings.site_hop_s,
        )

    def expired(self, entry_at: datetime, at: datetime) -> bool:
        """Is an entry at `entry_at` too old to be closed by an exit at `at`?"""
        return at - entry_at > timedelta(seconds=self.max_shift_s)


def classify(events: Sequence[PastEvent], rules: DayRules, tz: ZoneInfo) -> list[Role]:
    """The role of each event (in time order) of one worker at one site."""
    roles: list[Role] = []
    previous: datetime | None = None
    latest_entry: datetime | None = None
    started: set[object] = set()
    window = timedelta(seconds=rules.repeat_window_s)
    for event in events:
        at = event.occurred_at
        repeat = previous is not None and at - previous < window
        previous = at
        if repeat:
            roles.append("repeat")
            continue
        day = at.astimezone(tz).date()
        role: Role
        if event.direction in ("entry", "exit"):
            role = "entry" if event.direction == "entry" else "exit"
        elif day not in started or (latest_entry is not None and rules.expired(latest_entry, at)):
            role = "entry"
        else:
            role = "exit"
        if role == "entry":
            started.add(day)
            latest_entry = at
        roles.append(role)
    return roles
