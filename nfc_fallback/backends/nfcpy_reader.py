"""nfcpy readers: Sony RC-S380/RC-S370, ACR122U and other PN53x devices over USB or a serial
line, and nfcpy's own UDP simulator (`udp:HOST:PORT`, where a second process emulates a card).

Which radio standard the CCUS card answers is not public, so each poll asks FeliCa (212F),
Type A (106A) and Type B (106B) in turn and records the one that answered.  A read card is
reported once; then only its own technology is polled until it has been missing
`REMOVAL_MISSES` times in a row (that is the removal), and the debounce window runs from the
moment it was last seen.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import nfc
import nfc.clf

from nfc_fallback.backends import ReaderError, TouchHandler
from nfc_fallback.touch import DEBOUNCE_S, Debouncer, make_touch
from workers_db.identifiers import canonical_card_uid

log = logging.getLogger(__name__)

TECHNOLOGIES = ("212F", "106A", "106B")
POLL_INTERVAL_S = 0.1
REMOVAL_MISSES = 2
REOPEN_AFTER_S = 5.0


def read_target(target: Any) -> tuple[str, str] | None:
    """(technology, id in hex) of a sensed `nfc.clf.RemoteTarget`: the FeliCa IDm, the Type A
    UID (from anticollision, or UID0-3 of a Type 1 tag), or the Type B PUPI."""
    brty = str(target.brty)
    if brty.endswith("F") and target.sensf_res and len(target.sensf_res) >= 9:
        return "F", bytes(target.sensf_res[1:9]).hex()
    if brty.endswith("A"):
        if target.sdd_res:
            return "A", bytes(target.sdd_res).hex()
        if target.rid_res and len(target.rid_res) == 6:
            return "A", bytes(target.rid_res[2:6]).hex()
    if brty.endswith("B") and target.sensb_res and len(target.sensb_res) >= 5:
        return "B", bytes(target.sensb_res[1:5]).hex()
    return None


class NfcpyBackend:
    def __init__(
        self,
        path: str,
        debounce_s: float = DEBOUNCE_S,
        technologies: tuple[str, ...] = TECHNOLOGIES,
    ) -> None:
        self.path = path
        self.debounce = Debouncer(debounce_s)
        self.technologies = technologies
        self.description = f"nfcpy {path} ({', '.join(technologies)})"

    def run(self, on_touch: TouchHandler, stop: threading.Event) -> None:
        """Poll until `stop`; a reader that disappears is reopened every few seconds."""
        first = True
        while not stop.is_set():
            clf = nfc.ContactlessFrontend()
            try:
                opened = clf.open(self.path)
            except OSError as exc:
                opened, reason = False, str(exc)
            else:
                reason = "no such reader, or no permission (see docs/nfc.md, udev)"
            if not opened:
                if first:
                    raise ReaderError(f"cannot open reader {self.path!r}: {reason}")
                log.warning("reader %s still not available; retrying", self.path)
                stop.wait(REOPEN_AFTER_S)
                continue
            first = False
            try:
                self._poll(clf, on_touch, stop)
            except OSError as exc:
                log.warning("reader %s stopped answering (%s); reopening", self.path, exc)
                stop.wait(REOPEN_AFTER_S)
            finally:
                clf.close()

    def _poll(self, clf: Any, on_touch: TouchHandler, stop: threading.Event) -> None:
        targets = [nfc.clf.RemoteTarget(brty) for brty in self.technologies]
        while not stop.is_set():
            target = clf.sense(*targets, iterations=1)
            read = read_target(target) if target is not None else None
            if read is None:
                stop.wait(POLL_INTERVAL_S)
                continue
            touch = make_touch(*read)
            if self.debounce.accept(touch.card_uid, time.monotonic()):
                on_touch(touch)
            self._wait_for_removal(clf, str(target.brty), touch.card_uid, stop)

    def _wait_for_removal(self, clf: Any, brty: str, card_uid: str, stop: threading.Event) -> None:
        misses = 0
        while misses < REMOVAL_MISSES and not stop.is_set():
            stop.wait(POLL_INTERVAL_S)
            target = clf.sense(nfc.clf.RemoteTarget(brty), iterations=1)
            read = read_target(target) if target is not None else None
            if read is not None and canonical_card_uid(read[1], read[0]) == card_uid:
                misses = 0
                self.debounce.seen(card_uid, time.monotonic())
            else:
                misses += 1
        self.debounce.seen(card_uid, time.monotonic())
