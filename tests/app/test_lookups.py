"""One comment looked up by id costs one lookup: a 404 or an author's change never reads the
moderators' list (which a client could make every request read, since reads are not limited)."""

from __future__ import annotations

import pytest

from comments_app import create_app
from comments_app.state import app_state

from ..conftest import NO_RATE_LIMIT


@pytest.fixture
def lookup_app(store_settings, monkeypatch):
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    client = app.test_client()
    posted = client.post("/api/comments", json={"author": "a", "text": "mine"})
    store = app_state(app).store

    def whole_list(*args, **kwargs):
        raise AssertionError("a lookup by id read the moderators' whole list")

    monkeypatch.setattr(store, "moderation", whole_list)
    yield app, posted.headers["Comment-Token"]
    store.close()


def test_an_unknown_id_is_404_without_reading_every_comment(lookup_app):
    app, _token = lookup_app
    assert app.test_client().get("/api/comments/12345").status_code == 404


def test_an_authors_change_reads_one_comment(lookup_app):
    app, token = lookup_app
    client = app.test_client()
    edited = client.patch("/api/comments/1", json={"text": "fixed"}, headers={"Comment-Token": token})
    assert edited.status_code == 200
    assert client.delete("/api/comments/1", headers={"Comment-Token": token}).status_code == 204
