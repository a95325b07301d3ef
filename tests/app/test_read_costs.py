"""What one uncached read may cost: how pages and changes are compressed, a since far
behind answered 410, and the compressed answers kept within a byte bound."""

from __future__ import annotations

import gzip
import json
import random
from concurrent.futures import ThreadPoolExecutor

import brotli
import pytest

from comments_app import create_app
from comments_app.state import app_state
from comments_app.web.codings import CompressedBodies

from ..conftest import NO_RATE_LIMIT

ACCEPT = {"br": {"Accept-Encoding": "br"}, "gzip": {"Accept-Encoding": "gzip"}}
# How the list (compressed once per version, for every poller) and how the many distinct
# pages and changes answers are compressed: the list thoroughly, the others quickly.
THOROUGH = {
    "gzip": lambda body: gzip.compress(body, 6, mtime=0),
    "br": lambda body: brotli.compress(body, quality=5),
}
QUICK = {
    "gzip": lambda body: gzip.compress(body, 1, mtime=0),
    "br": lambda body: brotli.compress(body, quality=1),
}
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.fixture
def app(store_settings):
    made = create_app({**store_settings, **NO_RATE_LIMIT})
    yield made
    app_state(made).store.close()


def add_many(app, count: int, text: str = "a comment of a few words") -> None:
    store = app_state(app).store
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda number: store.add("a", f"{text} {number}"), range(count)))


def version(client) -> str:
    return client.get("/api/comments?limit=1").headers["Comments-Version"]


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_the_list_is_compressed_thoroughly_pages_and_changes_quickly(app, coding):
    client = app.test_client()
    add_many(app, 40)
    since = version(client)
    add_many(app, 3, "later")
    for url, level in [
        ("/api/comments", THOROUGH),
        ("/api/comments?limit=30", QUICK),
        ("/api/comments?limit=10&before=20", QUICK),
        (f"/api/comments?since={since}", QUICK),
    ]:
        plain = client.get(url)
        coded = client.get(url, headers=ACCEPT[coding])
        assert coded.headers["Content-Encoding"] == coding, url
        assert DECODE[coding](coded.data) == plain.data, url
        assert coded.data == level[coding](plain.data), url
        assert coded.headers["ETag"] == f'"{plain.headers["ETag"][1:-1]}-{coding}"'


def test_a_page_over_a_mebibyte_is_not_compressed(app):
    client = app.test_client()
    add_many(app, 130, "x" * 9_000)  # about 1.2 MB of JSON
    url = "/api/comments?limit=130"
    plain = client.get(url)
    assert len(plain.data) > 2**20
    coded = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert coded.status_code == 200
    assert "Content-Encoding" not in coded.headers
    assert coded.data == plain.data
    assert coded.headers["ETag"] == plain.headers["ETag"]
    assert "Accept-Encoding" in coded.headers["Vary"]
    # The tag it was given is current: a 304, as for any other copy.
    again = client.get(url, headers={"Accept-Encoding": "gzip, br", "If-None-Match": coded.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == coded.headers["ETag"]
    # The whole list stays compressed, at any size: every tutorial client polls it.
    whole = client.get("/api/comments", headers={"Accept-Encoding": "br"})
    assert whole.headers["Content-Encoding"] == "br"
    assert brotli.decompress(whole.data) == client.get("/api/comments").data


def test_a_since_far_behind_is_410_and_a_near_one_answers(app):
    client = app.test_client()
    client.post("/api/comments", data={"author": "a", "text": "first"})
    far = version(client)
    add_many(app, 501)
    near = version(client)
    client.post("/api/comments", data={"author": "b", "text": "latest"})
    gone = client.get(f"/api/comments?since={far}", headers=ACCEPT["br"])
    assert gone.status_code == 410
    body = gone.get_json()
    assert "load the list again" in body["error"]
    assert "more than 500 comments changed" in body["fields"]["since"]
    answer = client.get(f"/api/comments?since={near}")
    assert answer.status_code == 200
    assert [c["text"] for c in json.loads(answer.data)["comments"]] == ["latest"]


def test_the_compressed_answers_stay_within_their_byte_bound():
    bound = 100_000
    cache = CompressedBodies(max_bytes=bound)
    for number in range(200):
        # Incompressible bodies of 3 KiB: 200 of them would be 600 KiB.
        body = random.Random(number).randbytes(3 * 1024)
        assert brotli.decompress(cache.get(f"v{number}", "br", body)) == body
        assert cache.size <= bound
    assert cache.size > bound / 2
    assert 20 < len(cache) < 40
    # The newest are kept, the oldest dropped.
    compressions = cache.compressions
    cache.get("v199", "br", b"")
    assert cache.compressions == compressions
    cache.get("v0", "gzip", b"again")
    assert cache.compressions == compressions + 1


def test_by_default_a_worker_keeps_16_mib_of_compressed_answers_not_64_of_any_size():
    cache = CompressedBodies()
    mebibyte = random.Random(2).randbytes(2**20)
    for number in range(20):
        cache.get(f"v{number}", "gzip", mebibyte + bytes([number]))
    assert cache.size <= 16 * 2**20
    compressions = cache.compressions
    cache.get("v19", "gzip", mebibyte + bytes([19]))
    assert cache.compressions == compressions
    cache.get("v0", "gzip", mebibyte + bytes([0]))
    assert cache.compressions == compressions + 1


def test_an_answer_larger_than_the_bound_is_answered_and_not_kept():
    cache = CompressedBodies(max_bytes=4_000)
    body = random.Random(1).randbytes(5_000)
    cache.get("small", "gzip", b"[]\n")
    assert gzip.decompress(cache.get("large", "gzip", body)) == body
    assert cache.size <= 4_000
    cache.get("small", "gzip", b"[]\n")
    assert cache.compressions == 2


def test_many_tiny_answers_are_counted_with_their_keep():
    # An empty changes answer compresses to a few bytes; what keeping it costs is more.
    cache = CompressedBodies(max_bytes=100_000)
    for number in range(10_000):
        cache.get(f"v{number}.s{number}", "br", b'{"version": "v", "comments": [], "removed": []}\n')
    assert len(cache) < 500
