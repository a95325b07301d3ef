"""gunicorn's gevent worker: its connections take turns, and what it refuses itself is
answered in the app's one error shape.

Turns: a greenlet gives the loop back after each request (Worker.handle_request), so a
client that sends request after request never keeps the worker from its other clients.

Refusals: a request that breaks HTTP (a request line over `limit_request_line`, too many or
too large headers, malformed framing, an `Expect` or `Transfer-Encoding` it cannot meet)
never reaches the app: the worker's parser refuses it, and gunicorn's own answer is an HTML
page that echoes the offending bytes. This worker keeps the status gunicorn chooses for each
refusal (gunicorn/workers/base.py, `handle_error`) and answers it as the app answers its
errors: `{"error": "..."}` as JSON, with the headers every answer carries, saying why in
words of its own. Nothing of the client's bytes comes back, nor goes to the log line, where
a header line without its colon could be a password.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from http import HTTPStatus
from ssl import SSLError
from typing import NamedTuple

import gevent
from gunicorn import util
from gunicorn.http import errors
from gunicorn.http.message import DEFAULT_MAX_HEADERFIELD_SIZE, MAX_HEADERS, MAX_REQUEST_LINE
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.ggevent import GeventWorker

from .. import config
from ..stores import streams
from ..web.errors import MESSAGES
from ..web.headers import JSON_CACHE_CONTROL, hardening


class Refusal(NamedTuple):
    """The status and the message for the exceptions of these kinds."""

    kinds: tuple[type[BaseException], ...]
    status: int
    # A str.format template over limits(): the numbers are the server's, never the client's.
    message: str


# The first that matches answers: a subclass before its base (InvalidResponseHeader is an
# InvalidHeader). Anything else is the worker's own failure, a 500, as in gunicorn.
REFUSALS = (
    # A header the app tried to send, or SCRIPT_NAME set wrong: the server's fault.
    Refusal(
        (errors.InvalidResponseHeader, errors.InvalidResponseHeaderName, errors.ConfigurationProblem),
        500,
        MESSAGES[500],
    ),
    Refusal(
        (errors.LimitRequestLine,),
        414,
        "the request line (method, address and HTTP version) is longer than the {line} bytes "
        "this server takes",
    ),
    Refusal(
        (errors.LimitRequestHeaders,),
        431,
        "the request's headers are more or larger than this server takes: at most {fields} "
        "headers of at most {field_size} bytes each",
    ),
    Refusal(
        (errors.InvalidRequestLine,),
        400,
        "the request line is not HTTP: a method, an address and the HTTP version, "
        "separated by single spaces and ended by CR LF",
    ),
    Refusal((errors.InvalidRequestMethod,), 400, "the request's method is not an HTTP method"),
    Refusal((errors.InvalidHTTPVersion,), 400, "the request line does not end with HTTP/1.0 or HTTP/1.1"),
    Refusal(
        (errors.InvalidHeaderName,),
        400,
        "a header's name has characters a header name may not have",
    ),
    Refusal(
        (errors.ObsoleteFolding,),
        400,
        "a header goes on over a second line (obsolete line folding), which HTTP no longer allows",
    ),
    Refusal(
        (errors.InvalidHeader,),
        400,
        "a header is malformed or contradicts another: a line without a colon, a character a "
        "header may not have, a header given twice that may be given once, or a "
        "Content-Length or Transfer-Encoding that leaves where the body ends unclear",
    ),
    Refusal(
        (errors.InvalidChunkSize, errors.ChunkMissingTerminator, errors.InvalidChunkExtension),
        400,
        "the request body could not be read: its chunked framing is malformed",
    ),
    Refusal(
        (errors.UnsupportedTransferCoding,),
        501,
        "the request's Transfer-Encoding is not one this server reads: send the body "
        "chunked or with a Content-Length",
    ),
    Refusal(
        (errors.ExpectationFailed,),
        417,
        "this server meets no expectation but Expect: 100-continue",
    ),
    # None of these happen unless gunicorn is started with proxy_protocol, HTTP/2 or TLS, or
    # trusts forwarded scheme headers (gunicorn.conf.py turns that off).
    Refusal(
        (errors.InvalidProxyLine, errors.InvalidSchemeHeaders, errors.InvalidH2CPreface),
        400,
        MESSAGES[400],
    ),
    Refusal((errors.ForbiddenProxyRequest, SSLError), 403, MESSAGES[403]),
    Refusal((BaseException,), 500, MESSAGES[500]),
)


def refusal(error: BaseException) -> Refusal:
    """Return how to answer an error raised in the worker, beneath the app."""
    return next(candidate for candidate in REFUSALS if isinstance(error, candidate.kinds))


def limits(cfg) -> dict[str, int]:
    """Return the limits gunicorn's parser applies for these settings (gunicorn/http/message.py)."""
    line, fields, field_size = cfg.limit_request_line, cfg.limit_request_fields, cfg.limit_request_field_size
    return {
        "line": line if 0 < line < MAX_REQUEST_LINE else MAX_REQUEST_LINE,
        "fields": fields if 0 < fields <= MAX_HEADERS else MAX_HEADERS,
        "field_size": field_size if field_size > 0 else DEFAULT_MAX_HEADERFIELD_SIZE,
    }


def answer(status: int, message: str, headers: Iterable[tuple[str, str]], date: str) -> bytes:
    """Return a whole HTTP answer: the error as JSON, then the connection closes."""
    # As Flask's jsonify writes it: compact, ASCII, one line.
    body = (json.dumps({"error": message}, separators=(",", ":")) + "\n").encode("ascii")
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Date: {date}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class Worker(GeventWorker):
    """gunicorn's gevent worker, whose connections take turns and whose own answers are JSON
    in the app's error shape."""

    def init_process(self) -> None:
        # Read here, after the fork: gunicorn.conf.py has checked the same settings already.
        self.limits = limits(self.cfg)
        self.answer_headers = [*hardening(config.load()), JSON_CACHE_CONTROL]
        super().init_process()

    def handle_request(self, listener_name, req, sock, addr) -> None:
        """Handle a request, then let the worker's other connections have their turn.

        A send that timed out is a client that stopped reading an event stream
        (web/api/events.py sets the timeout): one line, no traceback, and hang up.
        StopIteration is how gunicorn is told to close the connection."""
        try:
            super().handle_request(listener_name, req, sock, addr)
        except TimeoutError:
            self.log.info("Closed a stream whose client stopped reading")
            raise StopIteration from None
        if not self.alive:
            # A request that ended after SIGTERM (an event stream stop_all ended) keeps no
            # connection open: the worker would wait for the client's next request.
            raise StopIteration
        # gevent reads a socket without waiting when the bytes are there already, so a
        # client that sends its next request at once (or pipelines) would keep the loop
        # from request to request while the worker's other clients wait: under mixed
        # load a reader's GET waited tens of milliseconds before it was even read
        # (docs/performance.md). The next request of this connection is read after the
        # connections that are ready now.
        gevent.sleep(0)

    def handle_exit(self, sig, frame) -> None:
        """Stop as gunicorn does on SIGTERM, and end every event stream now: a stream never
        ends by itself, and gunicorn waits for open requests up to its graceful timeout.
        Their clients reconnect elsewhere and resume from their Last-Event-ID."""
        super().handle_exit(sig, frame)
        # Out of the signal handler, as gunicorn's handle_quit does.
        gevent.spawn(streams.stop_all)

    def handle_error(self, req, client, addr, exc) -> None:
        """Answer a request gunicorn refused, or failed, beneath the app."""
        started = datetime.now()
        addr = addr or ("", -1)  # a Unix socket's peer has no address
        chosen = refusal(exc)
        message = chosen.message.format(**self.limits)
        if chosen.status == 500:
            # The server's fault: the traceback, as gunicorn logs it.
            self.log.exception("Error handling request")
        else:
            self.log.warning("Invalid request from ip=%s: %d, %s", addr[0], chosen.status, message)
        data = answer(chosen.status, message, self.answer_headers, util.http_date())
        if req is None and isinstance(exc, errors.InvalidHeader):
            req = exc.req  # parsed up to the bad header: enough for the access log
        if req is not None:
            self.log_access(req, client, addr, chosen.status, len(data), started)
        try:
            util.write_nonblock(client, data)
        except Exception:
            self.log.debug("Failed to send error message.")

    def log_access(self, req, client, addr, status: int, length: int, started: datetime) -> None:
        """Write the access log line gunicorn writes for a request it refused."""
        environ = default_environ(req, client, self.cfg)
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
        response = Response(req, client, self.cfg)
        response.status = f"{status} {HTTPStatus(status).phrase}"
        response.response_length = length
        self.log.access(response, req, environ, datetime.now() - started)
