"""`jobs.connection.LuaScript` on its own connections (not redis-py's pool): the script's
answer, a server that forgot it, a connection the server dropped, threads, a forked child."""

from __future__ import annotations

import contextlib
import os
import threading

import pytest
from redis import Redis
from redis.exceptions import RedisError

from jobs.connection import LuaScript, _ScriptConnections

COUNT = LuaScript("return redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])")


def test_the_script_answers_and_a_server_that_forgot_it_gets_it_again(redis_conn: Redis) -> None:
    assert COUNT(redis_conn, ["n"], [10]) == 11
    redis_conn.script_flush()
    assert COUNT(redis_conn, ["n"], [10]) == 12


def test_a_connection_the_server_dropped_is_opened_again(redis_conn: Redis) -> None:
    assert COUNT(redis_conn, ["n"], [0]) == 1
    (connection,) = _ScriptConnections.of(redis_conn).idle
    connection.send_command("CLIENT", "ID")
    redis_conn.client_kill_filter(_id=connection.read_response())
    # The first command may find the socket closed: an error then, never a stray reply.
    with contextlib.suppress(RedisError):
        assert COUNT(redis_conn, ["n"], [0]) == 2
    before = int(redis_conn.get("n") or 0)
    assert COUNT(redis_conn, ["n"], [100]) == before + 1 + 100


def test_an_unreachable_server_is_a_redis_error() -> None:
    with pytest.raises(RedisError):
        COUNT(Redis(port=1, socket_connect_timeout=1), ["n"], [0])


def test_threads_at_the_same_time_each_get_a_connection_and_their_own_answer(
    redis_conn: Redis,
) -> None:
    echo = LuaScript("redis.call('INCR', KEYS[1]); return ARGV[1]")
    answers: dict[int, set[bytes]] = {}

    def run(n: int) -> None:
        answers[n] = {echo(redis_conn, ["calls"], [f"t{n}"]) for _ in range(50)}

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {n: {f"t{n}".encode()} for n in range(6)}
    assert redis_conn.get("calls") == b"300"
    assert 1 <= len(_ScriptConnections.of(redis_conn).idle) <= 6


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_use_the_parents_connection(redis_conn: Redis) -> None:
    echo = LuaScript("return ARGV[1]")
    assert echo(redis_conn, [], ["parent"]) == b"parent"
    (inherited,) = _ScriptConnections.of(redis_conn).idle
    pid = os.fork()
    if pid == 0:  # the child: a connection of its own, the parent's left alone
        ok = echo(redis_conn, [], ["child"]) == b"child"
        ok = ok and inherited not in _ScriptConnections.of(redis_conn).idle
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert echo(redis_conn, [], ["parent again"]) == b"parent again"
    assert _ScriptConnections.of(redis_conn).idle == [inherited]
