"""A re-sent batch (`X-Touches-Resent: 1`, the agent's after a failed upload or a start) gets
the same answer as any other, without the refused plain INSERT that writes an ERROR line to
PostgreSQL's log; and the agent marks exactly the batches that may have reached the server."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

import workers_db.touch_batch
from nfc_fallback import RESENT_HEADER
from nfc_fallback.clock import ClockProbe
from nfc_fallback.console import Console
from nfc_fallback.journal import Journal
from nfc_fallback.touch import Touch
from nfc_fallback.uploader import Backoff, ServerAnswer, TouchClient, Uploader, UploadFailed

from .helpers import bearer
from .nfc_support import UNKNOWN_IDM, NfcSite, nfc_site_fixture  # noqa: F401
from .test_nfc_api import touch

SECOND = 10**9


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[IntegrityError]:
    """Each statement group the unique index refused (an ERROR in PostgreSQL's log)."""
    seen: list[IntegrityError] = []
    real = workers_db.touch_batch.run_on_driver

    def spied(*args: Any) -> Any:
        try:
            return real(*args)
        except IntegrityError as exc:
            seen.append(exc)
            raise

    monkeypatch.setattr(workers_db.touch_batch, "run_on_driver", spied)
    return seen


@pytest.mark.parametrize("marked", [True, False])
def test_a_resent_batch_is_answered_alike_and_refused_only_when_unmarked(
    client: FlaskClient, nfc_site: NfcSite, refusals: list[IntegrityError], marked: bool
) -> None:
    first = [touch() for _ in range(3)]
    body = client.post(
        "/api/v1/touches", json={"events": first}, headers=bearer(nfc_site.token)
    ).get_json()
    assert body["accepted"] == 3
    reused = {**first[0], "card_uid": f"F:{UNKNOWN_IDM}"}
    again = [reused, *first[1:], touch()]
    headers = {**bearer(nfc_site.token), **({RESENT_HEADER: "1"} if marked else {})}
    body = client.post("/api/v1/touches", json={"events": again}, headers=headers).get_json()
    assert (body["accepted"], body["duplicates"]) == (1, 2)
    assert [r["error"] for r in body["rejected"]] == ["event_id_reused"]
    assert len(refusals) == (0 if marked else 1)


class RecordingClient(TouchClient):
    """Answers like a server that accepts everything, failing the tries listed in `fail`."""

    def __init__(self, fail: set[int]) -> None:
        super().__init__("http://127.0.0.1:1", "t")
        self.fail = fail
        self.resent: list[bool] = []

    def post(self, events: Sequence[dict[str, object]], *, resent: bool = False) -> ServerAnswer:
        self.resent.append(resent)
        if len(self.resent) in self.fail:
            raise UploadFailed("server unreachable (test)")
        return ServerAnswer(accepted=len(events), duplicates=0, rejected={})


def test_the_agent_marks_the_first_batch_after_a_start_or_a_failure(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        for n in range(5):
            journal.append(Touch("A", f"A:{n:08X}", 1_750_000_000 * SECOND, n * SECOND), "b", True)
        recording = RecordingClient(fail={2})
        uploader = Uploader(
            journal,
            recording,
            Console(io.StringIO()),
            ClockProbe(override=True),
            "b",
            backoff=Backoff(0.01, 0.02),
        )
        uploader.options.batch_size = 2
        assert uploader.drain() is True  # try 1 (after the start) sent, 2 fails
        assert uploader.drain() is True  # try 3 re-sends 2's batch, 4 is new
        assert journal.backlog().count == 0
    assert recording.resent == [True, False, True, False]
