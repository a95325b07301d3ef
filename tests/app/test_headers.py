"""The headers every answer carries: browser hardening everywhere, no-cache on JSON."""

from __future__ import annotations

import pytest

from comments_app import create_app

HARDENING = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

# One request of every kind the app answers: (what it is, request, expected status).
ANSWERS = [
    ("page", lambda c: c.get("/"), 200),
    ("page HEAD", lambda c: c.head("/"), 200),
    ("public file", lambda c: c.get("/favicon.svg"), 200),
    ("missing public file", lambda c: c.get("/nothing-here.txt"), 404),
    ("list", lambda c: c.get("/api/comments"), 200),
    ("tutorial list", lambda c: c.get("/comments.json"), 200),
    ("page of the list", lambda c: c.get("/api/comments?limit=5"), 200),
    ("changes since", lambda c: c.get("/api/comments?since=0-0"), 200),
    ("bad limit", lambda c: c.get("/api/comments?limit=0"), 400),
    ("unknown version", lambda c: c.get("/api/comments?since=nonsense"), 400),
    ("post", lambda c: c.post("/api/comments", data={"author": "a", "text": "b"}), 201),
    ("bad post", lambda c: c.post("/api/comments", data={"author": "a"}), 400),
    ("one comment", lambda c: c.get("/api/comments/1"), 404),
    ("unknown API path", lambda c: c.get("/api/nothing"), 404),
    ("wrong method", lambda c: c.delete("/api/comments"), 405),
    ("too large", lambda c: c.post("/api/comments", data={"text": "x" * 70_000}), 413),
    ("wrong type", lambda c: c.post("/api/comments", data=b"x", content_type="text/plain"), 415),
    ("cross-site write", lambda c: c.post("/api/comments", headers={"Origin": "https://evil.example"}), 403),
    ("redirect", lambda c: c.get("/api//comments"), 308),
    ("foreign host", lambda c: c.get("/api/comments", headers={"Host": "evil.example"}), 400),
    ("health", lambda c: c.get("/healthz"), 200),
]


@pytest.fixture
def public(tmp_path):
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "index.html").write_text("<!doctype html><title>Comments</title>")
    (folder / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return folder


@pytest.mark.parametrize(("kind", "send", "status"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_every_answer_carries_the_hardening(comments_file, public, kind, send, status):
    client = create_app({"COMMENTS_FILE": str(comments_file), "PUBLIC_FOLDER": str(public)}).test_client()
    response = send(client)
    assert response.status_code == status
    for name, value in HARDENING.items():
        assert response.headers.get(name) == value, name
    if response.mimetype == "application/json":
        assert response.headers["Cache-Control"] == "no-cache"


def test_the_build_note_carries_the_hardening(comments_file, tmp_path):
    client = create_app({"COMMENTS_FILE": str(comments_file), "PUBLIC_FOLDER": str(tmp_path)}).test_client()
    response = client.get("/")
    assert b"not built yet" in response.data
    assert response.headers["Content-Security-Policy"] == HARDENING["Content-Security-Policy"]


def test_304_is_marked_too(client):
    etag = client.get("/api/comments").headers["ETag"]
    response = client.get("/api/comments", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache"


def test_frame_ancestors_lets_named_sites_embed_the_page(comments_file):
    app = create_app(
        {
            "COMMENTS_FILE": str(comments_file),
            "COMMENTS_FRAME_ANCESTORS": "https://blog.example, http://localhost:8000/",
        }
    )
    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith("; frame-ancestors https://blog.example http://localhost:8000")
    assert "script-src 'self'" in policy
    # X-Frame-Options cannot name sites in any current browser: CSP alone decides.
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(("kind", "send", "status"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_each_hardening_header_is_sent_once(comments_file, public, kind, send, status):
    client = create_app({"COMMENTS_FILE": str(comments_file), "PUBLIC_FOLDER": str(public)}).test_client()
    response = send(client)
    for name, value in HARDENING.items():
        assert response.headers.getlist(name) == [value], name


def test_a_handler_keeps_its_own_policy(comments_file):
    # The hook adds only what an answer lacks: a page with a policy of its own keeps it.
    app = create_app({"COMMENTS_FILE": str(comments_file)})

    @app.get("/own-policy")
    def own_policy():
        return "x", 200, {"Content-Security-Policy": "default-src 'self'", "Cache-Control": "max-age=60"}

    response = app.test_client().get("/own-policy")
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'self'"]
    assert response.headers.getlist("Cache-Control") == ["max-age=60"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("Application/JSON", True),
        ("application/problem+json", True),
        ("text/html; charset=utf-8", False),
        ("application/javascript", False),
        (None, False),
    ],
)
def test_json_answers_are_told_apart_by_their_media_type(content_type, expected):
    from comments_app.web.headers import is_json

    assert is_json(content_type) is expected
