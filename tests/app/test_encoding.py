"""Choosing a content coding, compressing once per version: units and the Flask test client."""

from __future__ import annotations

import gzip
import json
import threading

import brotli
import pytest

from comments_app.state import app_state
from comments_app.web import codings
from comments_app.web.codings import CompressedBodies


@pytest.mark.parametrize(
    ("header", "offered", "chosen"),
    [
        (None, codings.CODINGS, "identity"),
        ("", codings.CODINGS, "identity"),
        ("gzip, deflate, br, zstd", codings.CODINGS, "br"),  # Chromium: equal q, br is smaller
        ("gzip, deflate", codings.CODINGS, "gzip"),
        ("br;q=0.5, gzip", codings.CODINGS, "gzip"),
        ("gzip;q=0.2, br;q=0.1", codings.CODINGS, "gzip"),
        ("GZIP", codings.CODINGS, "gzip"),
        ("x-gzip", codings.CODINGS, "gzip"),
        ("*", codings.CODINGS, "br"),
        ("gzip;q=0, *", codings.CODINGS, "br"),  # a coding named outranks "*"
        ("br;q=0, gzip;q=0, *", codings.CODINGS, "identity"),
        ("*;q=0, gzip", codings.CODINGS, "gzip"),
        ("gzip;q=0", codings.CODINGS, "identity"),
        ("identity;q=0", codings.CODINGS, "identity"),  # nothing acceptable: identity anyway
        ("*;q=0", codings.CODINGS, "identity"),
        ("gzip;q=0.5, identity", codings.CODINGS, "identity"),  # rated above gzip
        ("gzip, identity;q=0.5", codings.CODINGS, "gzip"),
        ("deflate, zstd", codings.CODINGS, "identity"),
        ("br, gzip", ("gzip",), "gzip"),  # only what has a copy is offered
        ("br", ("gzip",), "identity"),
        ("br, gzip", (), "identity"),
        ("gzip;q=nonsense, br", codings.CODINGS, "br"),
    ],
)
def test_choose_honours_q_values(header, offered, chosen):
    assert codings.choose(header, offered) == chosen


def test_each_coding_has_its_own_etag():
    tags = {codings.tagged("abc", coding) for coding in ("identity", *codings.CODINGS)}
    assert len(tags) == 3
    assert codings.tagged("abc", "identity") == "abc"


def test_compress_is_reversible_and_repeatable():
    body = b'[{"id": 1, "text": "hello"}]\n' * 100
    assert gzip.decompress(codings.compress(body, "gzip")) == body
    assert brotli.decompress(codings.compress(body, "br")) == body
    assert codings.compress(body, "gzip") == codings.compress(body, "gzip")
    with pytest.raises(ValueError):
        codings.compress(body, "zstd")


def test_concurrent_requests_for_a_version_compress_it_once():
    cache = CompressedBodies()
    body = b"x" * 1_000_000
    start = threading.Barrier(8)
    results = []

    def ask():
        start.wait()
        results.append(cache.get("v1", "gzip", body))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.compressions == 1
    assert len(results) == 8
    assert all(gzip.decompress(result) == body for result in results)
    cache.get("v1", "br", body)
    cache.get("v2", "gzip", body + b"y")
    assert cache.compressions == 3


def test_old_versions_are_dropped():
    cache = CompressedBodies(max_bytes=2 * (codings.ENTRY_COST + 100))
    for version in ("v1", "v2", "v3"):
        cache.get(version, "gzip", version.encode())
    cache.get("v3", "gzip", b"v3")
    assert cache.compressions == 3
    cache.get("v1", "gzip", b"v1")
    assert cache.compressions == 4


def test_the_list_is_compressed_once_per_version_not_per_request(app, client):
    compressed = app_state(app).compressed
    client.post("/api/comments", data={"author": "Ann", "text": "one"})
    for _ in range(5):
        response = client.get("/api/comments", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
    assert compressed.compressions == 1
    client.post("/api/comments", data={"author": "Ann", "text": "two"})
    for _ in range(5):
        response = client.get("/api/comments", headers={"Accept-Encoding": "gzip"})
    assert compressed.compressions == 2
    assert [c["text"] for c in json.loads(gzip.decompress(response.data))] == ["one", "two"]
