"""A worker's connections take turns: a client that keeps sending does not keep the others waiting.

gevent reads a socket without waiting when its bytes are already there, so a greenlet whose
client has sent its next request (at once, or pipelined) would go on from request to
request without giving the worker's loop back. The worker (serving/worker.py) lets the
other connections have their turn after each request. Found under mixed load: a reader's
GET waited tens of milliseconds before its handling began (docs/performance.md).
"""

from __future__ import annotations

import http.client
import socket
import threading
from urllib.parse import urlsplit

from ..conftest import eventually

PIPELINED = 4000


class Reader(threading.Thread):
    """Reads everything a socket receives, so that the server never waits to send."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock = sock
        self.received = bytearray()

    def run(self) -> None:
        while data := self.sock.recv(65536):
            self.received += data


def test_a_client_sending_request_after_request_does_not_hold_its_worker(start_server):
    server = start_server(workers=1)
    parts = urlsplit(server.url)
    # The other client: connected and answered once, so that its connection is in the
    # worker, waiting for its next request, before the busy client starts.
    other = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    other.request("GET", "/healthz")
    assert other.getresponse().read()

    busy = socket.create_connection((parts.hostname, parts.port), timeout=60)
    reader = Reader(busy)
    reader.start()
    request = f"GET /api/comments HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    busy.sendall(request * PIPELINED)
    other.request("GET", "/healthz?turn")
    assert other.getresponse().status == 200
    busy.shutdown(socket.SHUT_WR)
    reader.join(60)
    other.close()
    assert reader.received.count(b"HTTP/1.1 200 ") == PIPELINED  # every one answered

    # The access log is in the order the worker answered: how many of the busy client's
    # requests went before the other client's second one. Its line is written just after
    # its answer is sent: wait for it.
    assert eventually(lambda: '"GET /healthz?turn ' in server.output(), True)
    answered = [line for line in server.output().splitlines() if '"GET /' in line]
    turn = next(n for n, line in enumerate(answered) if '"GET /healthz?turn ' in line)
    before = sum('"GET /api/comments ' in line for line in answered[:turn])
    # In turns, the other client waits for the few requests answered before its own
    # arrived; without them, for every one the busy client had sent.
    assert before < PIPELINED // 2, f"the other client waited for {before} of {PIPELINED} requests"
