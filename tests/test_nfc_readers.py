"""Reader backends without hardware: nfcpy's own target objects, the PC/SC path through an
injected transmit function, debouncing, clock detection and the retry schedule."""

from __future__ import annotations

import importlib.util
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import nfc.clf
import pytest

from nfc_fallback.backends import ReaderError, open_backend
from nfc_fallback.backends.nfcpy_reader import read_target
from nfc_fallback.backends.pcsc_reader import (
    GET_UID,
    CardReadError,
    PcscBackend,
    read_card_id,
    technology_from_atr,
)
from nfc_fallback.clock import ClockProbe, corrected_wall_ns
from nfc_fallback.touch import Debouncer, Touch
from nfc_fallback.uploader import Backoff, touches_url

FELICA_ATR = bytes.fromhex("3B8F8001804F0CA0000003061100000000000069")
TYPE_A_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
TYPE_B_ATR = bytes.fromhex("3B888001000000007781810079")
IDM = bytes.fromhex("0123456789ABCDEF")
OK = (0x90, 0x00)


def test_nfcpy_targets_give_the_technology_that_answered() -> None:
    felica = nfc.clf.RemoteTarget("212F", sensf_res=bytearray(b"\x01" + IDM + bytes(8)))
    type_a = nfc.clf.RemoteTarget("106A", sdd_res=bytearray.fromhex("04A1B2C3D4E5F6"))
    type_b = nfc.clf.RemoteTarget("106B", sensb_res=bytearray.fromhex("50CAFE0102" + "00" * 7))
    assert read_target(felica) == ("F", "0123456789abcdef")
    assert read_target(type_a) == ("A", "04a1b2c3d4e5f6")
    assert read_target(type_b) == ("B", "cafe0102")
    assert read_target(nfc.clf.RemoteTarget("106A")) is None


def scripted_transmit(answers: list[tuple[list[int], int, int]]) -> Callable[..., object]:
    """A transmit function that answers GET DATA from a script and records the APDUs."""
    sent: list[list[int]] = []

    def transmit(apdu: list[int]) -> tuple[list[int], int, int]:
        sent.append(apdu)
        return answers.pop(0)

    transmit.sent = sent  # type: ignore[attr-defined]
    return transmit


def test_get_data_reads_the_id_and_the_technology_from_the_atr() -> None:
    transmit = scripted_transmit([(list(IDM), *OK)])
    assert read_card_id(transmit, FELICA_ATR) == ("F", "0123456789abcdef")  # type: ignore[arg-type]
    assert transmit.sent == [GET_UID]  # type: ignore[attr-defined]
    uid = bytes.fromhex("CAFE0102")
    assert technology_from_atr(TYPE_A_ATR, uid) == "A"
    assert technology_from_atr(TYPE_B_ATR, uid) == "B"
    assert technology_from_atr(b"", bytes.fromhex("04A1B2C3D4E5F6")) == "A"
    assert technology_from_atr(b"", IDM) == "F"


def test_get_data_error_status_words_are_explained() -> None:
    with pytest.raises(CardReadError, match="does not support GET DATA"):
        read_card_id(scripted_transmit([([], 0x6A, 0x81)]))  # type: ignore[arg-type]
    with pytest.raises(CardReadError, match="could not read the card"):
        read_card_id(scripted_transmit([([], 0x63, 0x00)]))  # type: ignore[arg-type]
    with pytest.raises(CardReadError, match="status 6F 00"):
        read_card_id(scripted_transmit([([], 0x6F, 0x00)]))  # type: ignore[arg-type]
    # 6C xx: "wrong length, use xx" is answered by asking again with Le = xx.
    retry = scripted_transmit([([], 0x6C, 0x08), (list(IDM), *OK)])
    assert read_card_id(retry, FELICA_ATR)[1] == IDM.hex()  # type: ignore[arg-type]
    assert retry.sent[1] == [0xFF, 0xCA, 0x00, 0x00, 0x08]  # type: ignore[attr-defined]


class InjectedChannel:
    """pcscd stand-in: cards arrive in turn, each answers `reads` times through the injected
    transmit function, then leaves the field (pyscard then raises)."""

    def __init__(
        self, cards: list[tuple[bytes, Callable[..., object], int]], done: threading.Event
    ):
        self.cards = cards
        self.done = done
        self.current: tuple[Callable[..., object], int] | None = None

    def wait_for_card(self, timeout_s: float) -> bytes | None:
        if not self.cards:
            self.done.set()
            return None
        atr, transmit, reads = self.cards.pop(0)
        self.current = (transmit, reads)
        return atr

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        assert self.current is not None
        transmit, reads = self.current
        if reads == 0:
            raise OSError("card removed")
        self.current = (transmit, reads - 1)
        return transmit(apdu)  # type: ignore[return-value]

    def release(self) -> None:
        self.current = None


def uid_then_ok(uid: bytes) -> Callable[[list[int]], tuple[list[int], int, int]]:
    def transmit(apdu: list[int]) -> tuple[list[int], int, int]:
        assert apdu[:4] == [0xFF, 0xCA, 0x00, 0x00]
        return list(uid), *OK

    return transmit


def test_pcsc_backend_reads_one_touch_per_card_through_an_injected_transmit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done = threading.Event()
    other = bytes.fromhex("04A1B2C3D4E5F6")
    channel = InjectedChannel(
        [
            (FELICA_ATR, uid_then_ok(IDM), 5),  # rests on the reader for 5 reads: one touch
            (TYPE_A_ATR, lambda apdu: ([], 0x6A, 0x81), 2),  # a reader that refuses FF CA
            (TYPE_A_ATR, uid_then_ok(other), 1),
        ],
        done,
    )
    touches: list[Touch] = []
    backend = PcscBackend(channel=channel, debounce_s=0)
    with caplog.at_level(logging.WARNING):
        worker = threading.Thread(target=backend.run, args=(touches.append, done))
        worker.start()
        worker.join(10)
    assert not worker.is_alive()
    assert [(t.technology, t.card_uid) for t in touches] == [
        ("F", "F:0123456789ABCDEF"),
        ("A", "A:04A1B2C3D4E5F6"),
    ]
    assert "does not support GET DATA FF CA (6A 81)" in caplog.text


@pytest.mark.skipif(importlib.util.find_spec("smartcard") is not None, reason="pyscard present")
def test_pcsc_without_pyscard_says_how_to_install_it() -> None:
    with pytest.raises(ReaderError, match=r"genba-call\[pcsc\]"):
        open_backend("pcsc:RC-S300").run(lambda t: None, threading.Event())


def test_unknown_device_is_refused() -> None:
    with pytest.raises(ReaderError, match="--device 'bluetooth'"):
        open_backend("bluetooth")


def test_debounce_counts_from_when_the_card_was_last_seen() -> None:
    debounce = Debouncer(window_s=3)
    assert debounce.accept("F:1", now=100.0)
    debounce.seen("F:1", now=110.0)  # rested on the reader until 110
    assert not debounce.accept("F:1", now=112.0)
    assert debounce.accept("F:2", now=112.0)
    assert debounce.accept("F:1", now=115.5)


def test_clock_sync_detection_order() -> None:
    def fixed(value: bool | None) -> Callable[[], bool | None]:
        return lambda: value

    early = datetime(2021, 1, 1, tzinfo=UTC)
    assert ClockProbe(override=False, adjtimex=fixed(True)).state().synced is False
    assert ClockProbe(adjtimex=fixed(False)).state().source == "adjtimex"
    probe = ClockProbe(adjtimex=fixed(None), timedatectl=fixed(True))
    assert (probe.state().synced, probe.state().source) == (True, "timedatectl")
    fallback = ClockProbe(adjtimex=fixed(None), timedatectl=fixed(None), now=lambda: early)
    assert (fallback.state().synced, fallback.state().source) == (False, "plausibility")
    assert ClockProbe().state().source in ("adjtimex", "timedatectl", "plausibility")


def test_unsynced_time_is_corrected_by_the_monotonic_clock() -> None:
    # Touch at boottime 10 s; now boottime is 70 s and the synced wall clock says T.
    assert corrected_wall_ns(10 * 10**9, now_wall_ns=1000 * 10**9, now_boottime_ns=70 * 10**9) == (
        940 * 10**9
    )


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    backoff = Backoff(base_s=5, cap_s=3 * 3600, rng=random.Random(7))
    delays = [backoff.failed() for _ in range(20)]
    assert 2.5 <= delays[0] <= 5 and 5 <= delays[1] <= 10
    assert all(d <= 3 * 3600 for d in delays) and delays[-1] >= 1.5 * 3600
    assert len(set(delays)) == len(delays)  # jittered
    backoff.succeeded()
    assert backoff.failed() <= 5


def test_server_url_gets_the_touches_path_once() -> None:
    assert touches_url("https://genba.test/") == "https://genba.test/api/v1/touches"
    assert touches_url("https://genba.test/api/v1/touches") == "https://genba.test/api/v1/touches"
