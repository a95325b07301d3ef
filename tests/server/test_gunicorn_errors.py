"""What gunicorn refuses before the app sees it: JSON in the error shape, described, nothing echoed.

A request line over limit_request_line, too many or too large headers, malformed framing:
gunicorn's worker answers these itself (comments_app/serving/worker.py). One server serves
every case, each sent over a raw socket, as no HTTP client library would send them.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from gunicorn.http.errors import ConfigurationProblem
from gunicorn.workers.ggevent import GeventWorker

from comments_app.serving import worker
from comments_app.web.api import apidoc
from comments_app.web.errors import MESSAGES
from comments_app.web.headers import security_headers

from .. import contract

# Bytes of the client's that must not come back: in the request line, a header's name or
# value, a chunk's size. Not hexadecimal, so it is no chunk size gunicorn could read.
ECHO = b"zq7echoed"
HOST = b"Host: localhost\r\n"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: bytes


@dataclass
class Refused:
    request: bytes
    status: int
    # The operation the request was meant for: the answer must be one it describes.
    method: str = "GET"
    path: str = "/api/comments"


def headers(*lines: bytes) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


def get(path: bytes, *lines: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + path + b" " + version + b"\r\n" + HOST + headers(*lines) + b"\r\n"


def post(*lines: bytes, body: bytes = b"") -> bytes:
    return b"POST /api/comments HTTP/1.1\r\n" + HOST + headers(*lines) + b"\r\n" + body


REFUSED = {
    # limit_request_line is 4094 bytes (gunicorn's default, which gunicorn.conf.py keeps).
    "request line too long": Refused(get(b"/api/comments?q=" + ECHO + b"a" * 4100), 414),
    # limit_request_field_size: 8190 bytes.
    "header too large": Refused(get(b"/api/comments", b"X-Big: " + ECHO + b"b" * 8200), 431),
    # limit_request_fields: 100.
    "too many headers": Refused(get(b"/api/comments", *(b"X-%d: %s" % (n, ECHO) for n in range(101))), 431),
    "request line not HTTP": Refused(ECHO + b" \x16\x03\x01\r\n" + HOST + b"\r\n", 400),
    "request line with a fourth part": Refused(get(b"/api/comments", version=b"HTTP/1.1 " + ECHO), 400),
    "unknown HTTP version": Refused(get(b"/api/comments", version=b"HTTP/9.9"), 400),
    "invalid method": Refused(b"G<" + ECHO + b" /api/comments HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "bare LF": Refused(b"GET /api/comments HTTP/1.1\n" + ECHO + b": x\n\n", 400),
    "header name with a space": Refused(get(b"/api/comments", ECHO + b" name: x"), 400),
    "header line without a colon": Refused(get(b"/api/comments", b"Authorization Basic " + ECHO), 400),
    "folded header": Refused(get(b"/api/comments", b"X-A: a", b" " + ECHO), 400),
    "Content-Length not a number": Refused(post(b"Content-Length: " + ECHO), 400, "POST"),
    "Content-Length twice": Refused(
        post(b"Content-Length: 1", b"Content-Length: 2", body=b"xx"), 400, "POST"
    ),
    "Content-Length and Transfer-Encoding": Refused(
        post(b"Content-Length: 5", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n"), 400, "POST"
    ),
    "Transfer-Encoding gunicorn does not implement": Refused(
        post(b"Transfer-Encoding: " + ECHO), 501, "POST"
    ),
    "Expect other than 100-continue": Refused(get(b"/api/comments", b"Expect: " + ECHO), 417),
}


@pytest.fixture(scope="module")
def server(start_shared_server, tmp_path_factory):
    return start_shared_server(
        workers=1, COMMENTS_FILE=str(tmp_path_factory.mktemp("store") / "comments.json")
    )


@pytest.fixture(scope="module")
def app_headers(server) -> dict[str, str]:
    """The headers the app's own JSON errors carry."""
    response = requests.get(server.url + "/api/comments/0")
    assert response.status_code == 404
    return response.headers


def exchange(url: str, data: bytes) -> bytes:
    """Send data on a new connection, close our side, and return all the server sends back."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def answers(data: bytes) -> list[Answer]:
    """Split what the server sent into HTTP answers, each with a Content-Length."""
    found = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        assert separator, f"not an HTTP answer: {data[:300]!r}"
        status_line, *lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines)
        length = int(fields["Content-Length"])
        found.append(
            Answer(int(status_line.split(" ")[1]), fields, rest[:length], data[: len(head) + 4 + length])
        )
        data = rest[length:]
    return found


def assert_refused_in_the_error_shape(answer: Answer, refused: Refused, app_headers) -> None:
    assert answer.status == refused.status, answer.raw
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Connection"] == "close"
    body = json.loads(answer.body)
    assert list(body) == ["error"] and len(body["error"]) > 20, body
    # The headers the app's own JSON errors carry, with the app's values.
    for name in [*security_headers(()), "Cache-Control"]:
        assert answer.headers.get(name) == app_headers[name], name
    assert ECHO not in answer.raw.lower()
    contract.check(
        refused.method, "http://localhost" + refused.path, {}, answer.status, answer.headers, answer.body
    )


def test_every_operation_describes_what_gunicorn_refuses():
    """Any request may be refused before the app routes it: each operation says so."""
    refused = {str(status) for status in (400, 414, 417, 431, 501)}
    missing = {
        operation["operationId"]: sorted(refused - set(operation["responses"]))
        for item in apidoc.description()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
    }
    assert {name: statuses for name, statuses in missing.items() if statuses} == {}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_gunicorn_refuses_is_answered_as_json_in_the_error_shape(server, app_headers, case):
    refused = REFUSED[case]
    (answer,) = answers(exchange(server.url, refused.request))
    assert_refused_in_the_error_shape(answer, refused, app_headers)


def test_the_refusals_say_which_limit(server):
    (long_line,) = answers(exchange(server.url, REFUSED["request line too long"].request))
    assert "4094 bytes" in json.loads(long_line.body)["error"]
    (many_headers,) = answers(exchange(server.url, REFUSED["too many headers"].request))
    assert "100 headers" in json.loads(many_headers.body)["error"]
    assert "8190 bytes" in json.loads(many_headers.body)["error"]


def test_a_malformed_chunk_the_app_did_not_read_is_refused_after_its_answer(server, app_headers):
    """A GET's chunked body is not read by the app; gunicorn reads past it for the next request,
    finds the framing broken, and answers 400 before it closes the connection."""
    request = get(b"/healthz", b"Transfer-Encoding: chunked") + ECHO + b"\r\n\r\n"
    health, refused = answers(exchange(server.url, request))
    assert health.status == 200
    assert_refused_in_the_error_shape(refused, Refused(request, 400, path="/healthz"), app_headers)


def test_the_log_says_why_without_the_clients_bytes(server):
    """gunicorn's warning line quoted them: a header line that lost its colon may be a password."""
    for refused in REFUSED.values():
        exchange(server.url, refused.request)
    log = server.output()
    assert "Invalid request from ip=127.0.0.1: 400, a header is malformed" in log
    assert "Invalid request from ip=127.0.0.1: 414, the request line" in log
    assert ECHO.decode() not in log.lower()


@pytest.mark.parametrize("error", [RuntimeError("a bug"), SystemExit(1), ConfigurationProblem("SCRIPT_NAME")])
def test_a_failure_of_the_worker_itself_is_a_json_500(error):
    """Beneath the app: an exception of the worker's, the timeout's SystemExit, a misconfiguration."""
    chosen = worker.refusal(error)
    (answer,) = answers(
        worker.answer(chosen.status, chosen.message, [("X-Content-Type-Options", "nosniff")], "now")
    )
    assert answer.status == 500
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.body) == {"error": MESSAGES[500]}


def test_the_server_runs_this_worker_which_is_gevents(server):
    """gunicorn.conf.py names it, and it is gevent's worker still: each connection a greenlet."""
    assert f"Using worker: {worker.__name__}.Worker" in server.output()
    assert issubclass(worker.Worker, GeventWorker)
