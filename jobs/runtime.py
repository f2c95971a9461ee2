"""What a job needs at run time: settings, an engine per process, a session per job.

RQ forks a child per job; a connection pool inherited from the parent must not be used in
the child, so the engine is keyed by process id and created where it is used.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jobs.connection import redis_for
from jobs.queue import install_dispatch, make_queue
from workers_db.db import make_engine, make_session_factory
from workers_db.settings import Settings

_lock = threading.Lock()
_state: dict[str, object] = {}


def settings() -> Settings:
    with _lock:
        value = _state.get("settings")
        if value is None:
            value = Settings.from_env()
            _state["settings"] = value
        return value  # type: ignore[return-value]


def use_settings(value: Settings) -> None:
    """Entry points that already hold settings (the CLI, tests) hand them to the jobs."""
    with _lock:
        _state.clear()
        _state["settings"] = value


def engine() -> Engine:
    key = f"engine:{os.getpid()}"
    with _lock:
        value = _state.get(key)
    if value is None:
        value = make_engine(settings().database_url)
        with _lock:
            _state[key] = value
    return value  # type: ignore[return-value]


def session_factory() -> sessionmaker[Session]:
    key = f"factory:{os.getpid()}"
    with _lock:
        value = _state.get(key)
    if value is None:
        value = make_session_factory(engine())
        install_dispatch(value, lambda: make_queue(redis_for(settings())))
        with _lock:
            _state[key] = value
    return value  # type: ignore[return-value]


@contextmanager
def job_session() -> Iterator[Session]:
    """One session per job: committed when the job body returns, rolled back if it raises."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
