"""A FeliCa card emulated on nfcpy's UDP driver, for the agent's end-to-end tests.

    python -m tests.nfc_card_emulator PORT IDM HOLD_SECONDS

How nfcpy's udp driver pairs the two sides: the card side `listen`s, i.e. binds
0.0.0.0:PORT and answers whatever arrives there; the reader side (`udp:localhost:PORT`)
sends each SENSF_REQ from a fresh ephemeral socket to PORT and takes the answer from it.
So the card is "on the reader" exactly while this process listens, and "removed" once it
stops: the reader's polls then time out.  The listen timeout is the hold time, so the card
never rebinds (and misses a poll) while it is held.
"""

from __future__ import annotations

import sys
import time

import nfc
import nfc.clf

PMM = "0120220427674EFF"
SYSTEM_CODE = "0003"  # a transit-card system code; any two bytes do


def main(port: int, idm: str, hold_s: float) -> None:
    def on_startup(target: nfc.clf.LocalTarget) -> nfc.clf.LocalTarget:
        target = nfc.clf.LocalTarget("212F")
        target.sensf_res = bytearray.fromhex("01" + idm + PMM + SYSTEM_CODE)
        return target

    def on_connect(_tag: object) -> bool:
        return True  # serve the reader's commands until it switches the field off

    deadline = time.monotonic() + hold_s
    clf = nfc.ContactlessFrontend(f"udp:localhost:{port}")
    print("card placed", flush=True)
    try:
        clf.connect(
            card={"on-startup": on_startup, "on-connect": on_connect, "timeout": hold_s},
            terminate=lambda: time.monotonic() > deadline,
        )
    finally:
        clf.close()
    print("card removed", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]))
