"""Caching and compression on a live gunicorn: codings, ETags per coding, 304s, cache lifetimes."""

from __future__ import annotations

import gzip
import json
import re

import brotli
import pytest
import requests

from ..conftest import ROOT

DECODE = {"identity": lambda body: body, "gzip": gzip.decompress, "br": brotli.decompress}
# What each Accept-Encoding gets: (header, coding answered).
ASKED = [
    (None, "identity"),
    ("gzip, deflate, br, zstd", "br"),
    ("gzip", "gzip"),
    ("br;q=0.5, gzip", "gzip"),
    ("gzip;q=0, br;q=0", "identity"),
    ("identity;q=0", "identity"),
]


def fetch(url: str, accept_encoding: str | None, **headers: str) -> tuple[requests.Response, bytes]:
    """GET url with exactly this Accept-Encoding (None: no header); return the bytes as sent."""
    headers = {"Accept-Encoding": accept_encoding, **headers}
    response = requests.get(url, headers=headers, stream=True, timeout=10)
    raw = response.raw.read(decode_content=False)
    return response, raw


def coding_of(response: requests.Response) -> str:
    return response.headers.get("Content-Encoding", "identity")


@pytest.fixture
def server(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    for number in range(50):
        response = requests.post(
            server.url + "/api/comments", data={"author": "Ann", "text": f"comment {number} " + "words " * 20}
        )
        assert response.status_code == 201
    return server


def index_html() -> str:
    return (ROOT / "public" / "index.html").read_text()


def built_assets() -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', index_html())


def test_list_is_answered_in_the_accepted_coding_with_its_own_etag(server, comments_file):
    identity_body = comments_file.read_bytes()
    etags = {}
    for accept, expected in ASKED:
        response, raw = fetch(server.url + "/api/comments", accept)
        assert response.status_code == 200, accept
        assert coding_of(response) == expected, accept
        assert DECODE[expected](raw) == identity_body, accept
        assert int(response.headers["Content-Length"]) == len(raw)
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/"), "strong ETag"
        assert etags.setdefault(expected, etag) == etag, "one ETag per coding and version"
    assert len(set(etags.values())) == 3
    assert len(fetch(server.url + "/api/comments", "br")[1]) < len(identity_body) / 3


@pytest.mark.parametrize(("accept", "expected"), [(None, "identity"), ("gzip", "gzip"), ("br", "br")])
def test_each_codings_etag_revalidates_to_304(server, accept, expected):
    url = server.url + "/api/comments"
    response, _ = fetch(url, accept)
    etag = response.headers["ETag"]
    again, raw = fetch(url, accept, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert raw == b""
    assert again.headers["ETag"] == etag
    assert "Accept-Encoding" in again.headers["Vary"]
    # Another coding's ETag does not validate this coding's answer.
    for other in {"identity", "gzip", "br"} - {expected}:
        other_etag = fetch(url, {"identity": None}.get(other, other))[0].headers["ETag"]
        assert fetch(url, accept, **{"If-None-Match": other_etag})[0].status_code == 200
    # A new comment makes every coding's ETag stale.
    requests.post(url, data={"author": "Bo", "text": "new"})
    changed, raw = fetch(url, accept, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert coding_of(changed) == expected
    assert json.loads(DECODE[expected](raw))[-1]["text"] == "new"
    assert changed.headers["ETag"] != etag


def test_post_answers_the_list_in_the_accepted_coding(server):
    response = requests.post(
        server.url + "/api/comments",
        data={"author": "Cy", "text": "compressed answer"},
        headers={"Accept-Encoding": "gzip"},
        stream=True,
    )
    raw = response.raw.read(decode_content=False)
    assert response.status_code == 201
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw))[-1]["text"] == "compressed answer"
    listed, _ = fetch(server.url + "/api/comments", "gzip")
    assert listed.headers["ETag"] == response.headers["ETag"]


def test_page_html_is_revalidated_and_assets_cached_for_a_year(server):
    page, raw = fetch(server.url + "/", "gzip, deflate, br")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-cache"
    assert b'<div id="root">' in DECODE[coding_of(page)](raw)
    favicon, _ = fetch(server.url + "/favicon.svg", None)
    assert favicon.headers["Cache-Control"] == "no-cache"
    assets = built_assets()
    assert any(path.endswith(".js") for path in assets)
    for path in assets:
        response, _ = fetch(server.url + path, None)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    missing, _ = fetch(server.url + "/assets/index-00000000.js", None)
    assert missing.status_code == 404


def test_assets_are_sent_precompressed_with_an_etag_and_304_per_coding(server):
    # The page's entry script (beside it, the build preloads a chunk it shares with /moderate).
    [script] = re.findall(r'<script type="module"[^>]* src="(/assets/[^"]+)"', index_html())
    original = (ROOT / "public" / script.lstrip("/")).read_bytes()
    etags = {}
    for accept, expected in ASKED:
        response, raw = fetch(server.url + script, accept)
        assert response.status_code == 200
        assert coding_of(response) == expected, accept
        assert DECODE[expected](raw) == original
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert not response.headers.get("Content-Disposition", "").endswith((".gz", ".br"))
        etags.setdefault(expected, response.headers["ETag"])
        assert etags[expected] == response.headers["ETag"]
        again, body = fetch(server.url + script, accept, **{"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, accept
        assert body == b""
    assert len(set(etags.values())) == 3
    # The precompressed copy is what is sent: no compression per request.
    precompressed = ROOT / "public" / (script.lstrip("/") + ".br")
    assert fetch(server.url + script, "br")[1] == precompressed.read_bytes()
    # Asked for by its own name, a copy says what it is.
    named, raw = fetch(server.url + script + ".gz", None)
    assert named.headers["Content-Encoding"] == "gzip"
    assert named.headers["Content-Type"].startswith("text/javascript")
    assert gzip.decompress(raw) == original
