"""Every number of the call flow in one place (the day rules' numbers: `ivr_flows.days`)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ivr_flows.days import DayRules

SITE_CODE_TRIES = 3  # docs/ivr.md, 'What a call does' 4: asked again, up to 3 tries
CREW_TRIES = 2  # no answer twice on a crew phone: the phone's owner is checked in
MENU_TRIES = 2
CCUS_ID_TRIES = 3
PIN_TRIES_PER_CALL = 3

# Lock-out of PIN identification, per caller number and per CCUS worker id (auth_failures).
PIN_LOCK_AFTER_FAILURES = 5
PIN_FAILURE_WINDOW_S = 3600
PIN_LOCK_S = 1800

# Gather timeouts (seconds of silence before the flow goes on).
CONFIRM_KEY_TIMEOUT_S = 1  # a key during the confirmation opens the menu; normally none
SITE_CODE_TIMEOUT_S = 8
CHOICE_TIMEOUT_S = 5
ID_TIMEOUT_S = 10

CREW_MAX = 9  # keys 1-9 name one member, 0 is everyone
MENU_KEY = "9"  # announced in the confirmation; any key opens the menu


@dataclass(frozen=True)
class Policy:
    """The environment-configured numbers of the flow, built from `Settings` (whose defaults
    are the only ones): the day rules and the zone that decides a work date."""

    rules: DayRules
    tz_name: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)


def pin_keys(caller: str | None, ccus_id: str | None) -> tuple[str, ...]:
    """The auth_failures keys a PIN attempt counts against."""
    keys = []
    if caller:
        keys.append(f"pin:phone:{caller}")
    if ccus_id:
        keys.append(f"pin:worker:{ccus_id}")
    return tuple(keys)
