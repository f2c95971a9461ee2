"""A card touch as a backend reports it, and the rule "one physical touch = one event".

A card resting on a reader is seen again on every poll; a card that slips off and back within
a second is still the same touch.  Backends therefore report a card once, wait for its
removal, and a `Debouncer` drops a re-read of the same card within `DEBOUNCE_S` of the moment
it was last seen (not of the moment it was first read, so a long rest is one touch too).
"""

from __future__ import annotations

from dataclasses import dataclass

from nfc_fallback.clock import boottime_ns, wall_ns
from workers_db.identifiers import canonical_card_uid

DEBOUNCE_S = 3.0
TECHNOLOGY_NAMES = {"F": "FeliCa 212F", "A": "ISO 14443 Type A 106A", "B": "ISO 14443 Type B 106B"}


@dataclass(frozen=True)
class Touch:
    """What a backend read: the technology that answered, the canonical card UID
    (`F:`/`A:`/`B:` + hex), and both clocks at the moment of the read."""

    technology: str
    card_uid: str
    wall_ns: int
    boottime_ns: int


def make_touch(technology: str, uid_hex: str) -> Touch:
    """Stamp a read now; `uid_hex` is the raw id in hex, `technology` F, A or B."""
    uid = canonical_card_uid(uid_hex, technology)
    return Touch(technology=uid[0], card_uid=uid, wall_ns=wall_ns(), boottime_ns=boottime_ns())


class Debouncer:
    """Remembers when each card was last seen (monotonic seconds)."""

    def __init__(self, window_s: float = DEBOUNCE_S) -> None:
        self.window_s = window_s
        self._last_seen: dict[str, float] = {}

    def accept(self, card_uid: str, now: float) -> bool:
        """True when this read is a new touch; either way the card counts as seen now."""
        last = self._last_seen.get(card_uid)
        self._last_seen[card_uid] = now
        self._forget_older_than(now)
        return last is None or now - last > self.window_s

    def seen(self, card_uid: str, now: float) -> None:
        """The card is still there (or was just removed): extend its debounce window."""
        self._last_seen[card_uid] = now

    def _forget_older_than(self, now: float) -> None:
        stale = [uid for uid, at in self._last_seen.items() if now - at > self.window_s]
        for uid in stale:
            del self._last_seen[uid]
