"""Thirty parallel logins with real commits on PostgreSQL: at most the limit of passwords is
evaluated, and the right password at the end of the burst is refused (workers_db.lockout)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from voice_app.admin import auth
from workers_db import lockout

from .admin_support import PASSWORD, make_user
from .helpers import count_secrets_checked
from .test_admin_auth import log_in
from .test_ivr_concurrency import wide_app_fixture  # noqa: F401

EMAIL = "racer@example.jp"


def test_thirty_parallel_logins_evaluate_at_most_the_limit(
    wide_app: Flask, committed_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed_db) as session:
        make_user(session, EMAIL, "admin")
        session.commit()
    evaluated = count_secrets_checked(monkeypatch, auth)
    clients = [wide_app.test_client() for _ in range(30)]
    barrier = threading.Barrier(29)

    def wrong(n: int) -> int:
        barrier.wait(timeout=30)
        status: int = log_in(clients[n], EMAIL, "wrong-password").status_code
        return status

    with ThreadPoolExecutor(max_workers=29) as pool:
        statuses = list(pool.map(wrong, range(29)))
    assert len(evaluated) <= lockout.LOGIN_EMAIL.tries, len(evaluated)
    assert statuses.count(401) == len(evaluated) and statuses.count(429) == 29 - len(evaluated)

    right = log_in(clients[29], EMAIL, PASSWORD)  # last in the burst: refused all the same
    assert right.status_code == 429
    assert len(evaluated) <= lockout.LOGIN_EMAIL.tries
