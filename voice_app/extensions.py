"""Per-app resources: the engine, the session factory, Redis and the RQ queue.

One session per request, created on first use and removed at teardown (warehouse's pattern).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Flask, current_app, g
from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jobs.connection import redis_for
from jobs.queue import install_dispatch, make_queue
from voice_app.spool import Spool
from workers_db.db import make_engine, make_session_factory
from workers_db.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine | None
    session_factory: sessionmaker[Session]
    _queue: Queue | None = field(default=None, repr=False)

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

    @cached_property
    def spool(self) -> Spool:
        return Spool(self.settings.spool_path)


def init_app(app: Flask, settings: Settings, factory: sessionmaker[Session] | None) -> None:
    engine = None
    if factory is None:
        engine = make_engine(settings.database_url)
        factory = make_session_factory(engine)
    runtime = Runtime(settings=settings, engine=engine, session_factory=factory)
    install_dispatch(factory, runtime.queue)
    app.extensions["genba"] = runtime
    app.teardown_appcontext(_remove_session)


def runtime() -> Runtime:
    value: Runtime = current_app.extensions["genba"]
    return value


def settings() -> Settings:
    return runtime().settings


def db() -> Session:
    """The request's session (created on first use)."""
    session: Session | None = g.get("_genba_session")
    if session is None:
        session = runtime().session_factory()
        g._genba_session = session
    return session


def _remove_session(_exc: Any) -> None:
    session: Session | None = g.pop("_genba_session", None)
    if session is not None:
        session.close()
