"""Behaviour 10 on Vonage: several answer webhooks of one worker at the same moment, each
with its own call uuid, decide once (real commits on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .ivr_support import SITE_NUMBER, TANAKA, Clock, events
from .test_ivr_concurrency import at_once, tanaka_id  # noqa: F401  (fixture)
from .vonage_support import Ncco, Vonage


def test_ten_concurrent_vonage_calls_of_one_worker_record_one_entry(
    committed_app: Flask,
    tanaka_id: int,  # noqa: F811
    committed_db: Engine,
) -> None:
    clock = Clock(datetime.now(UTC))  # the app's own clock: the JWTs' iat must be current

    def check_in(_: int) -> Ncco:
        return Vonage(committed_app.test_client(), clock).call(TANAKA, SITE_NUMBER).start()

    answers = at_once(10, check_in)
    assert all(isinstance(ncco, list) and ncco for ncco in answers)
    with Session(committed_db) as session:
        recorded = events(session, worker_id=tanaka_id)
    assert [e.direction for e in recorded if e.direction is not None] == ["entry"]
    said = [a["text"] for ncco in answers for a in ncco if a["action"] == "talk"]
    assert sum("入場を記録しました" in text for text in said) == 1  # the others: already recorded
