"""Reader backends behind one small interface: `run(on_touch, stop)` reads cards until `stop`
is set and calls `on_touch(Touch)` once per physical touch.

- `usb`, `usb:VID:PID`, `usb:BUS:DEV`, `tty:…`, `udp:HOST:PORT`: nfcpy (RC-S380, RC-S370,
  ACR122U…, and nfcpy's UDP simulator), polling FeliCa 212F, Type A 106A and Type B 106B.
- `pcsc` or `pcsc:READER NAME`: PC/SC through pyscard (the Sony RC-S300, which nfcpy cannot
  drive), card id by the APDU `FF CA 00 00 00`.
- `stdin`: one card id per line, for keyboard-wedge readers that type the id and Enter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from nfc_fallback.touch import DEBOUNCE_S, Touch

TouchHandler = Callable[[Touch], None]
NFCPY_PREFIXES = ("usb", "tty", "udp", "com")


class ReaderError(RuntimeError):
    """The reader cannot be opened or stopped answering; the message says what to check."""


class ReaderBackend(Protocol):
    description: str

    def run(self, on_touch: TouchHandler, stop: threading.Event) -> None: ...


def open_backend(device: str, debounce_s: float = DEBOUNCE_S) -> ReaderBackend:
    """The backend for a `--device` value (see the module docstring)."""
    kind = device.split(":", 1)[0].lower()
    if kind == "pcsc":
        from nfc_fallback.backends.pcsc_reader import PcscBackend

        reader_name = device.split(":", 1)[1] if ":" in device else None
        return PcscBackend(reader_name=reader_name or None, debounce_s=debounce_s)
    if kind == "stdin":
        from nfc_fallback.backends.stdin_reader import StdinBackend

        return StdinBackend(debounce_s=debounce_s)
    if kind in NFCPY_PREFIXES:
        from nfc_fallback.backends.nfcpy_reader import NfcpyBackend

        return NfcpyBackend(device, debounce_s=debounce_s)
    raise ReaderError(
        f"--device {device!r}: use an nfcpy path (usb, usb:054c:06c1, tty:USB0, "
        "udp:localhost:54321), pcsc[:READER NAME] or stdin"
    )
