"""The ceiling: the same Flask + gunicorn stack answering bytes held in memory.

BENCH_BODY names a file whose bytes are the answer; POST answers them too, without storing.
"""

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request

BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
ETAG = hashlib.blake2b(BODY, digest_size=8).hexdigest()

app = Flask(__name__)


@app.route("/api/comments", methods=["GET", "POST"])
def comments():
    if request.method == "GET" and request.if_none_match.contains_weak(ETAG):
        response = Response(status=304)
    else:
        if request.method == "POST":
            request.form.get("text")
        response = Response(
            BODY, status=201 if request.method == "POST" else 200, mimetype="application/json"
        )
    response.set_etag(ETAG)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
