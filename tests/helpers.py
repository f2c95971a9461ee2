"""Small builders for tests: rows made through the real operations of workers_db."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import count

import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

import jobs.queue as queue_module
from workers_db.models import ApiToken, Company, Site, Worker
from workers_db.registration import (
    create_company,
    create_site,
    create_worker,
    hash_token,
    new_token,
)

_seq = count(1)


def make_company(session: Session, name: str | None = None, **kwargs: object) -> Company:
    return create_company(session, name or f"テスト工業{next(_seq)}", **kwargs)  # type: ignore[arg-type]


def make_site(
    session: Session, prime: Company | None = None, code: str | None = None, **kwargs: object
) -> Site:
    prime = prime or make_company(session, "元請建設")
    n = next(_seq)
    return create_site(
        session,
        name=str(kwargs.pop("name", f"テスト現場{n}")),
        site_code=code or f"{1000 + n}",
        prime_company_id=prime.id,
        **kwargs,  # type: ignore[arg-type]
    )


def make_worker(session: Session, company: Company | None = None, **kwargs: object) -> Worker:
    company = company or make_company(session)
    n = next(_seq)
    return create_worker(
        session,
        name=str(kwargs.pop("name", f"作業員{n}")),
        company_id=company.id,
        **kwargs,  # type: ignore[arg-type]
    )


def make_token(
    session: Session,
    role: str = "admin",
    site_id: int | None = None,
    company_id: int | None = None,
    device_name: str | None = None,
) -> str:
    token = new_token()
    session.add(
        ApiToken(
            token_hash=hash_token(token),
            role=role,
            name=device_name or role,
            device_name=device_name,
            site_id=site_id,
            company_id=company_id,
        )
    )
    session.flush()
    return token


def token_actor(session: Session, token: str) -> str:
    """How the audit trail names this token (`token:<id>`)."""
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token)))
    return f"token:{token_id}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def count_secrets_checked(monkeypatch: pytest.MonkeyPatch, module: object) -> list[str]:
    """Wrap `module.verify_secret` (thread-safe): the list fills with every secret evaluated."""
    evaluated: list[str] = []
    lock = threading.Lock()
    real = module.verify_secret  # type: ignore[attr-defined]

    def counting(hashed: str, secret: str) -> bool:
        with lock:
            evaluated.append(secret)
        return bool(real(hashed, secret))

    monkeypatch.setattr(module, "verify_secret", counting)
    return evaluated


def claims_sent(monkeypatch: pytest.MonkeyPatch, redis: Redis | None = None) -> list[str]:
    """The reconcile claims sent from now on (the marker of each), only those to `redis`
    when it is given (each one EVALSHA of `jobs.queue`'s claim script)."""
    sent: list[str] = []
    original = queue_module._CLAIM

    def claim(client: Redis, keys: Sequence[str], args: Sequence[str | int | float]) -> object:
        if redis is None or client is redis:
            sent.append(keys[0])
        return original(client, keys, args)

    monkeypatch.setattr(queue_module, "_CLAIM", claim)
    return sent
