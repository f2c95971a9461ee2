"""Per-app resources: the engine, the session factory, Redis and the RQ queue.

One session per request, taken on first use and closed at teardown (warehouse's pattern).
The closed session is kept for the thread's next request (`Runtime.session`): a `Session`
costs about as many instructions to build as the zero-key check-in's look-up costs to send
(bench/ivr_instructions.py), and a closed one is as new (no objects, no transaction, no
connection).  What a request did not commit is rolled back at teardown, so that its
after-rollback hooks run (`workers_db.changes` drops the reconcile marks of a transaction
that was not committed) before the session serves another request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Flask, current_app, g
from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from jobs.connection import redis_for
from jobs.queue import install_dispatch, make_queue
from voice_app.ratelimit import CallCounts
from voice_app.spool import Spool
from workers_db.db import make_engine, make_session_factory
from workers_db.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine | None
    session_factory: sessionmaker[Session]
    _queue: Queue | None = field(default=None, repr=False)
    _idle: threading.local = field(default_factory=threading.local, repr=False)

    def redis(self) -> Redis:
        return redis_for(self.settings)

    def queue(self) -> Queue:
        """The RQ queue on this process's Redis client (built again when that client is a new
        one, e.g. in a forked child)."""
        redis = self.redis()
        queue = self._queue
        if queue is None or queue.connection is not redis:
            queue = self._queue = make_queue(redis)
        return queue

    def session(self) -> Session:
        """A session for one request: the one this thread's last request closed, else a new
        one (a request inside another on the same thread gets its own)."""
        idle: Session | None = self._idle.__dict__.pop("session", None)
        return idle if idle is not None else self.session_factory()

    def release(self, session: Session) -> None:
        """The request is over: roll back what it left uncommitted, close, keep for reuse.
        A session whose rollback fails (its connection gone) is closed and not kept: it may
        still hold the marks of what it did not commit."""
        kept = True
        try:
            if session.in_transaction():
                session.rollback()
        except SQLAlchemyError:
            kept = False
        session.close()
        if kept:
            self._idle.session = session

    @cached_property
    def spool(self) -> Spool:
        return Spool(self.settings.spool_path)

    @cached_property
    def call_counts(self) -> CallCounts:
        """The rate limit's counts (`voice_app.ratelimit`), one per app."""
        return CallCounts(self.redis)


def init_app(app: Flask, settings: Settings, factory: sessionmaker[Session] | None) -> None:
    engine = None
    if factory is None:
        engine = make_engine(settings.database_url)
        factory = make_session_factory(engine)
    runtime = Runtime(settings=settings, engine=engine, session_factory=factory)
    install_dispatch(factory, runtime.queue, deferred=True)
    app.extensions["genba"] = runtime
    app.teardown_appcontext(_remove_session)


def runtime() -> Runtime:
    value: Runtime = current_app.extensions["genba"]
    return value


def settings() -> Settings:
    return runtime().settings


def db() -> Session:
    """The request's session (taken on first use)."""
    session: Session | None = g.get("_genba_session")
    if session is None:
        session = g._genba_session = runtime().session()
    return session


def _remove_session(_exc: Any) -> None:
    session: Session | None = g.pop("_genba_session", None)
    if session is not None:
        runtime().release(session)
