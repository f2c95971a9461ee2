"""Lock-outs of PINs and passwords: one counter per key in `auth_failures`, counted before
the secret is evaluated.

A try is counted and the limit checked in one statement (`INSERT … ON CONFLICT DO UPDATE …
RETURNING`): concurrent tries of one key serialise on its row, and each gets its own number.
Tries 1 … limit inside the window are evaluated; the one that reaches the limit locks the key
for `lock` (it is still evaluated, and its success clears the counter like any other); any
later try, and every try while the lock is in force, is refused without evaluating the secret.
A success clears the counter.  The entry point commits the count before it evaluates the
secret (the admin login commits it; the IVR commits the PIN step's count at once, see
`workers_db.callers`), so a burst of parallel tries cannot read a count older than itself.

Keys: `pin:phone:+81…` and `pin:worker:<CCUS id>` (`ivr_flows.policy.pin_keys`),
`login:<email>` and `login-ip:<address>` (`login_keys`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr_flows.policy import PIN_FAILURE_WINDOW_S, PIN_LOCK_AFTER_FAILURES, PIN_LOCK_S
from workers_db.identifiers import mask_phone
from workers_db.models import AuthFailure

log = logging.getLogger(__name__)
_FAILURES: Table = AuthFailure.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Limit:
    tries: int  # evaluated inside the window
    window: timedelta
    lock: timedelta


PIN = Limit(
    PIN_LOCK_AFTER_FAILURES, timedelta(seconds=PIN_FAILURE_WINDOW_S), timedelta(seconds=PIN_LOCK_S)
)
LOGIN_EMAIL = Limit(5, timedelta(minutes=15), timedelta(minutes=15))
LOGIN_IP = Limit(20, timedelta(minutes=15), timedelta(minutes=15))


@dataclass(frozen=True)
class Verdict:
    allowed: bool  # the secret may be evaluated
    locks: bool = False  # this try reached a limit: if it fails, the key stays locked


def login_keys(email: str, address: str | None) -> list[tuple[str, Limit]]:
    return [
        (f"login:{email.strip().lower()}", LOGIN_EMAIL),
        (f"login-ip:{address or 'unknown'}", LOGIN_IP),
    ]


def count_try(session: Session, keys: Iterable[tuple[str, Limit]], now: datetime) -> Verdict:
    """Count one try against every key (one atomic statement each, in key order so that two
    transactions never wait on each other); allowed only when every key allows it."""
    allowed, locks = True, False
    for key, limit in sorted(keys, key=lambda pair: pair[0]):
        failures = _count(session, key, limit, now)
        allowed = allowed and failures <= limit.tries
        if failures == limit.tries:
            locks = True
            log.warning("lock-out of %s after %s tries", _masked(key), failures)
    return Verdict(allowed, locks and allowed)


def _count(session: Session, key: str, limit: Limit, now: datetime) -> int:
    t = _FAILURES
    when = t.c.locked_until.type

    def at(moment: datetime) -> object:
        return literal(moment, when)

    restart = or_(
        t.c.locked_until <= at(now),
        and_(t.c.locked_until.is_(None), t.c.first_failure_at <= at(now - limit.window)),
    )
    in_force = t.c.locked_until > at(now)
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(t)
        .values(
            key=key,
            failures=1,
            first_failure_at=now,
            locked_until=now + limit.lock if limit.tries <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((restart, 1), else_=t.c.failures + 1),
                "first_failure_at": case((restart, at(now)), else_=t.c.first_failure_at),
                "locked_until": case(
                    (in_force, t.c.locked_until),
                    (restart, at(now + limit.lock) if limit.tries <= 1 else None),
                    (t.c.failures + 1 >= limit.tries, at(now + limit.lock)),
                    else_=None,
                ),
            },
        )
        .returning(t.c.failures)
    )
    failures: int = session.execute(statement).scalar_one()
    return failures


def locked(session: Session, keys: Sequence[str], now: datetime) -> datetime | None:
    """The latest lock still in force on any of `keys` (the IVR refuses early with it)."""
    if not keys:
        return None
    until: datetime | None = session.scalar(
        select(AuthFailure.locked_until)
        .where(AuthFailure.key.in_(list(keys)), AuthFailure.locked_until > now)
        .order_by(AuthFailure.locked_until.desc())
        .limit(1)
    )
    return until


def clear(session: Session, keys: Iterable[str]) -> None:
    """A success: the counters of these keys start again."""
    session.execute(delete(AuthFailure).where(AuthFailure.key.in_(list(keys))))


def forgive(session: Session, key: str, limit: Limit) -> None:
    """A success on a shared key (a client address): this try is not held against the others
    who share it, and a lock it alone set is lifted."""
    t = _FAILURES
    session.execute(
        update(t)
        .where(t.c.key == key, t.c.failures > 0)
        .values(
            failures=t.c.failures - 1,
            locked_until=case((t.c.failures - 1 < limit.tries, None), else_=t.c.locked_until),
        )
    )


def _masked(key: str) -> str:
    prefix, _, value = key.rpartition(":")
    return f"{prefix}:{mask_phone(value) if value.startswith('+') else value[:4] + '…'}"
