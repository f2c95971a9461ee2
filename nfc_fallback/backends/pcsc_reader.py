"""PC/SC readers through pyscard (optional extra `pcsc`): the Sony RC-S300, which nfcpy cannot
drive, and any other CCID contactless reader that pcscd knows.

The card id is read with the PC/SC pseudo-APDU GET DATA `FF CA 00 00 00` (PC/SC part 3):
the FeliCa IDm, the Type A UID or the Type B PUPI, followed by the status word 90 00.  The
technology comes from the ATR that the reader builds for a contactless card (PC/SC part 3:
the "standard" byte of a storage-card ATR; the historical-byte length of an ISO 14443-4 ATR),
else from the id's length (8 bytes: FeliCa; 4, 7, 10: Type A).

Everything that talks to pcscd sits behind `PcscChannel`, so tests inject the transmit
function; pyscard is imported only when a real reader is opened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from nfc_fallback.backends import ReaderError, TouchHandler
from nfc_fallback.touch import DEBOUNCE_S, Debouncer, make_touch
from workers_db.identifiers import InvalidIdentifier

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
POLL_INTERVAL_S = 0.2
# PC/SC part 3, storage-card ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00 TCK
_PCSC_RID = bytes.fromhex("A000000306")
_STANDARD_TECHNOLOGY = {0x01: "A", 0x02: "A", 0x03: "A", 0x05: "B", 0x06: "B", 0x07: "B"}
_STANDARD_FELICA = 0x11
_STATUS_MEANING = {
    (0x63, 0x00): "the reader could not read the card (63 00)",
    (0x6A, 0x81): "this reader does not support GET DATA FF CA (6A 81)",
    (0x6A, 0x82): "the card has no id to give (6A 82)",
    (0x6B, 0x00): "wrong P1/P2 in FF CA (6B 00)",
    (0x68, 0x00): "class byte FF not supported by this reader (68 00)",
}

Transmit = Callable[[list[int]], tuple[list[int], int, int]]


class CardReadError(RuntimeError):
    """The reader answered GET DATA with an error status word."""


class PcscChannel(Protocol):
    """The part of PC/SC the backend needs; `transmit` sends one APDU to the present card."""

    def wait_for_card(self, timeout_s: float) -> bytes | None:
        """The ATR of a card on the reader, or None when none arrived within `timeout_s`."""
        ...

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]: ...

    def release(self) -> None:
        """Forget the card (after it was read or removed)."""
        ...


def technology_from_atr(atr: bytes, uid: bytes) -> str:
    """F, A or B for a card whose ATR the reader built and whose id is `uid`."""
    if len(atr) >= 13 and atr[0] == 0x3B and _PCSC_RID in atr:
        standard = atr[atr.index(_PCSC_RID) + len(_PCSC_RID)]
        if standard == _STANDARD_FELICA:
            return "F"
        if standard in _STANDARD_TECHNOLOGY:
            return _STANDARD_TECHNOLOGY[standard]
    # ISO 14443-4 card: 3B 8n 80 01 + n historical bytes; Type B puts ATQB application data
    # (4) + protocol info (3) + MBLI/CID (1) there, i.e. n = 8, and its id is a 4-byte PUPI.
    iso14443_4 = len(atr) >= 4 and atr[0] == 0x3B and atr[2:4] == b"\x80\x01"
    if iso14443_4 and atr[1] & 0x0F == 8 and len(uid) == 4:
        return "B"
    return "F" if len(uid) == 8 else "A"


def read_card_id(transmit: Transmit, atr: bytes = b"") -> tuple[str, str]:
    """(technology, id in hex) by GET DATA; a wrong-length answer (6C xx) is retried once
    with the length the reader asked for."""
    data, sw1, sw2 = transmit(list(GET_UID))
    if sw1 == 0x6C:
        data, sw1, sw2 = transmit([*GET_UID[:4], sw2])
    if (sw1, sw2) == (0x90, 0x00) or (sw1 == 0x62 and data):
        uid = bytes(data)
        if not uid:
            raise CardReadError("the reader answered 90 00 but gave no id")
        return technology_from_atr(atr, uid), uid.hex()
    meaning = _STATUS_MEANING.get((sw1, sw2), f"status {sw1:02X} {sw2:02X}")
    raise CardReadError(f"GET DATA FF CA failed: {meaning}")


class PyscardChannel:
    """The real thing: pcscd through pyscard.  `reader_name` picks the first reader whose
    name contains it (case-insensitive); None takes the first reader."""

    def __init__(self, reader_name: str | None = None) -> None:
        try:
            from smartcard.System import readers
        except ImportError as exc:
            raise ReaderError(
                "PC/SC needs pyscard: apt-get install pcscd libpcsclite-dev swig, then "
                "pip install 'genba-call[pcsc]' (docs/nfc.md)"
            ) from exc
        try:
            found = readers()
        except Exception as exc:  # pcscd not running: smartcard raises its own errors
            raise ReaderError(f"pcscd does not answer ({exc}); is it running?") from exc
        wanted = [r for r in found if reader_name is None or reader_name.lower() in str(r).lower()]
        if not wanted:
            names = ", ".join(str(r) for r in found) or "none"
            raise ReaderError(f"no PC/SC reader matching {reader_name!r} (readers: {names})")
        self.reader = wanted[0]
        self.name = str(self.reader)
        self._connection: Any = None

    def wait_for_card(self, timeout_s: float) -> bytes | None:
        from smartcard.Exceptions import CardConnectionException, NoCardException

        connection = self.reader.createConnection()
        try:
            connection.connect()
        except (NoCardException, CardConnectionException):
            time.sleep(timeout_s)
            return None
        self._connection = connection
        return bytes(connection.getATR())

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        if self._connection is None:
            raise CardReadError("no card connected")
        data, sw1, sw2 = self._connection.transmit(apdu)
        return list(data), int(sw1), int(sw2)

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.disconnect()
            except Exception:  # the card is gone already; nothing to release
                log.debug("disconnect after removal failed", exc_info=True)
            self._connection = None


class PcscBackend:
    def __init__(
        self,
        reader_name: str | None = None,
        debounce_s: float = DEBOUNCE_S,
        channel: PcscChannel | None = None,
    ) -> None:
        self.reader_name = reader_name
        self.debounce = Debouncer(debounce_s)
        self._channel = channel
        self.description = f"PC/SC {reader_name or '(first reader)'}"

    def run(self, on_touch: TouchHandler, stop: threading.Event) -> None:
        channel = self._channel or PyscardChannel(self.reader_name)
        while not stop.is_set():
            atr = channel.wait_for_card(POLL_INTERVAL_S)
            if atr is None:
                continue
            try:
                technology, uid_hex = read_card_id(channel.transmit, atr)
                touch = make_touch(technology, uid_hex)
            except (CardReadError, InvalidIdentifier) as exc:
                log.warning("card not read: %s", exc)
                self._wait_for_removal(channel, None, stop)
                continue
            if self.debounce.accept(touch.card_uid, time.monotonic()):
                on_touch(touch)
            self._wait_for_removal(channel, (uid_hex, touch.card_uid), stop)

    def _wait_for_removal(
        self, channel: PcscChannel, card: tuple[str, str] | None, stop: threading.Event
    ) -> None:
        """Ask the card for its id until it no longer answers at all (removed) or another
        card answers; `card` is (id in hex, canonical uid) of a card that was read."""
        while not stop.is_set():
            stop.wait(POLL_INTERVAL_S)
            try:
                data, sw1, sw2 = channel.transmit(list(GET_UID))
            except Exception:  # pyscard raises once the card has left the field
                break
            if card is None:
                continue
            if (sw1, sw2) == (0x90, 0x00) and bytes(data).hex() != card[0]:
                break  # another card was put down without a gap
            self.debounce.seen(card[1], time.monotonic())
        channel.release()
