"""The floor: gunicorn answering the ceiling's bytes and headers with no framework at all.

The ceiling (bench/ceiling.py) is the bare Flask stack, the issue's reference; the list
cache (comments_app/serving/list_cache.py) answers beneath Flask, so the project can cost
less than that ceiling. This plain WSGI callable is the other bound: what gunicorn's gevent
worker, its access log and the socket cost for the same answer, with nothing of ours.
"""

from werkzeug.http import parse_etags

from bench.ceiling import BODY, CODED, ETAG, HARDENING
from comments_app.web import codings

TAIL = [*HARDENING.items(), ("Cache-Control", "no-cache")]


def app(environ, start_response):
    method = environ["REQUEST_METHOD"]
    if method == "POST":
        environ["wsgi.input"].read()
        length = str(len(BODY))
        start_response("201 CREATED", [("Content-Type", "application/json"), ("Content-Length", length)])
        return [BODY]
    coding = codings.choose(environ.get("HTTP_ACCEPT_ENCODING"))
    tag = codings.tagged(ETAG, coding)
    headers = [("ETag", f'"{tag}"'), ("Vary", "Accept-Encoding")]
    if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(tag):
        start_response("304 NOT MODIFIED", [*headers, *TAIL])
        return []
    body = CODED.get(coding, BODY)
    if coding != codings.IDENTITY:
        headers.append(("Content-Encoding", coding))
    headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("200 OK", [*headers, *TAIL])
    return [body]
