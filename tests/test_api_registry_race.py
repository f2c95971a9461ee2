"""Two requests registering the same phone or card at the same time, with real commits:
exactly one 201, one 422 naming the field, one row in the database.

Left alone, two test-client requests in one process mostly run one after the other, and the
second is refused by the ownership check, not by the database.  To exercise the real race,
the requests are interleaved at two points of SQLAlchemy's own flush events: request A
inserts its worker and phone (uncommitted) and waits; request B then runs its ownership
check (which cannot see A's row), flushes its INSERT — which PostgreSQL blocks on A's
unique-index entry — and A commits.  B's INSERT then fails on the unique constraint.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from workers_db.models import Card, Phone, Worker

from .helpers import bearer, make_company, make_token

WAIT_S = 10


@pytest.fixture
def tokens_and_company(committed_db: Engine) -> tuple[list[dict[str, str]], int]:
    """Two admin tokens (each request updates its own token's last use, so the two requests
    do not queue behind one row lock) and a company."""
    with Session(committed_db) as session:
        tokens = [bearer(make_token(session, "admin")) for _ in range(2)]
        company = make_company(session, "競合工業")
        session.commit()
        return tokens, company.id


@dataclass
class Interleaving:
    role: threading.local = field(default_factory=threading.local)  # .name: "A" or "B"
    a_flushed: threading.Event = field(default_factory=threading.Event)
    b_flushing: threading.Event = field(default_factory=threading.Event)


@contextmanager
def interleaved() -> Iterator[Interleaving]:
    """Pause request A after it flushed its new worker until request B is about to flush
    its own (B's ownership check has run by then)."""
    state = Interleaving()
    role, a_flushed, b_flushing = state.role, state.a_flushed, state.b_flushing

    def adds_worker(session: Session) -> bool:
        return any(isinstance(obj, Worker) for obj in session.new)

    def after_flush(session: Session, _context: Any) -> None:
        if getattr(role, "name", None) == "A" and adds_worker(session):
            a_flushed.set()
            b_flushing.wait(WAIT_S)

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        if getattr(role, "name", None) == "B" and adds_worker(session):
            b_flushing.set()

    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "before_flush", before_flush)
    try:
        yield state
    finally:
        event.remove(Session, "after_flush", after_flush)
        event.remove(Session, "before_flush", before_flush)


@pytest.mark.parametrize(
    ("field", "values", "model", "column", "stored"),
    [
        ("phones", ["090-7000-0001", "+81 90 7000 0001"], Phone, Phone.e164, "+819070000001"),
        ("card_uids", ["0123456789ABCDEF", "01:23:45:67:89:ab:cd:ef"], Card, Card.uid,
         "F:0123456789ABCDEF"),
    ],
)  # fmt: skip
def test_two_concurrent_registrations_of_one_value_leave_one_owner(
    committed_app: Flask,
    committed_db: Engine,
    tokens_and_company: tuple[list[dict[str, str]], int],
    field: str,
    values: list[str],
    model: type[Any],
    column: Any,
    stored: str,
) -> None:
    tokens, company_id = tokens_and_company
    with interleaved() as state:

        def post(name: str) -> Any:
            state.role.name = name
            if name == "B":
                assert state.a_flushed.wait(WAIT_S), "request A never flushed"
            index = "AB".index(name)
            body = {"name": f"作業員{name}", "company_id": company_id, field: [values[index]]}
            return committed_app.test_client().post(
                "/api/v1/workers", json=body, headers=tokens[index]
            )

        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(post, ["A", "B"])

    assert first.status_code == 201, first.json
    assert second.status_code == 422, second.json
    assert second.json["errors"] == [
        {"field": field, "message": "already registered (a concurrent request registered it first)"}
    ]
    with Session(committed_db) as session:
        owners = session.scalars(select(model.worker_id).where(column == stored)).all()
        assert owners == [first.json["id"]]
        workers = session.scalar(select(func.count()).select_from(Worker))
        assert workers == 1  # B's worker row went with its savepoint
