"""The ceiling: the same Flask + gunicorn stack answering bytes held in memory.

BENCH_BODY names a file whose bytes are the answer; POST answers them too, without storing.
GET answers gzip or br, compressed once at start, to a request that accepts them.

The answer is the project's, byte for byte in size: the same body and the same headers
(the security headers every answer of the project carries, Cache-Control, Vary, an
ETag per coding), so that the ratio to it is the cost of the project's request path,
not of the headers the project must send (measured: the ceiling costs the same CPU per
request with or without them, docs/performance.md).
"""

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request

from comments_app.web import codings
from comments_app.web.headers import security_headers

BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
ETAG = hashlib.blake2b(BODY, digest_size=12).hexdigest()
CODED = {coding: codings.compress(BODY, coding) for coding in codings.CODINGS}
HARDENING = security_headers(())

app = Flask(__name__)


@app.route("/api/comments", methods=["GET", "POST"])
def comments():
    coding = codings.IDENTITY
    if request.method == "GET" and request.if_none_match.contains_weak(ETAG):
        response = Response(status=304)
    elif request.method == "POST":
        request.form.get("text")
        response = Response(BODY, status=201, mimetype="application/json")
    else:
        coding = codings.choose(request.headers.get("Accept-Encoding"))
        response = Response(CODED.get(coding, BODY), mimetype="application/json")
        if coding != codings.IDENTITY:
            response.headers["Content-Encoding"] = coding
        response.vary.add("Accept-Encoding")
    response.set_etag(codings.tagged(ETAG, coding))
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(HARDENING)
    return response
