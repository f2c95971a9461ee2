"""A loopback HTTP proxy that holds each answer a moment before passing it on, so that a drill
can kill a client while the server has already stored its request but the client has not
read the answer yet (the moment a kill -9 during an upload is most dangerous)."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time


class SlowProxy:
    def __init__(self, listen_port: int, upstream_port: int, hold_s: float) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.hold_s = hold_s
        self.holding = threading.Event()  # set while an answer is being held
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy.relay(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", listen_port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlowProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def relay(self, client: socket.socket) -> None:
        request = _read_request(client)
        if not request:
            return
        with socket.create_connection(self.upstream, timeout=30) as upstream:
            upstream.sendall(request)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
        self.holding.set()
        time.sleep(self.hold_s)
        self.holding.clear()
        with contextlib.suppress(OSError):  # the client was killed while its answer was held
            client.sendall(answer)


def _read_request(sock: socket.socket) -> bytes:
    """One HTTP/1.1 request with a Content-Length body (what urllib sends)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    if b"connection: close" not in head.lower():
        head += b"\r\nConnection: close"
    return head + b"\r\n\r\n" + body
