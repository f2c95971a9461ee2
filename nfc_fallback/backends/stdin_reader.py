"""Keyboard-wedge readers (`--device stdin`): many cheap USB readers "type" the card id and
Enter into whatever has the keyboard focus.  Each line is one read: hex with or without
separators, optionally prefixed `F:`, `A:` or `B:`; without a prefix 16 hex digits are FeliCa
and 8, 14 or 20 are Type A.  Readers that type the id in decimal must be switched to hex.
A wedge reader repeats the id while a card rests on it, so the debounce window applies.
"""

from __future__ import annotations

import logging
import os
import selectors
import sys
import threading
import time
from typing import TextIO

from nfc_fallback.backends import TouchHandler
from nfc_fallback.clock import boottime_ns, wall_ns
from nfc_fallback.touch import DEBOUNCE_S, Debouncer, Touch
from workers_db.identifiers import InvalidIdentifier, canonical_card_uid

log = logging.getLogger(__name__)
WAKE_S = 0.2


class StdinBackend:
    def __init__(self, debounce_s: float = DEBOUNCE_S, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self.debounce = Debouncer(debounce_s)
        self.description = "keyboard-wedge reader on standard input"

    def run(self, on_touch: TouchHandler, stop: threading.Event) -> None:
        """Read lines until end of input or `stop`.  Reads the file descriptor itself: a
        buffered `readline` could hold lines back from `select`."""
        fd = self.stream.fileno()
        pending = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while not stop.is_set():
                if not selector.select(WAKE_S):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    return
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    self._line(line.decode("utf-8", "replace").strip(), on_touch)

    def _line(self, text: str, on_touch: TouchHandler) -> None:
        if not text:
            return
        try:
            uid = canonical_card_uid(text)
        except InvalidIdentifier as exc:
            log.warning("ignored input line: %s", exc)
            return
        if self.debounce.accept(uid, time.monotonic()):
            on_touch(Touch(uid[0], uid, wall_ns(), boottime_ns()))
