"""What one changes answer may cost: a since far behind is answered "load the list again"
(VersionGone, a 410 on the web) instead of the whole list as changes, on both stores."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from comments_app import create_app
from comments_app.model.versions import VersionGone
from comments_app.state import app_state

# The most changes one answer holds: as many comments as the largest page (?limit=500).
MOST = 500


@pytest.fixture
def store(store_settings):
    made = app_state(create_app(store_settings)).store
    yield made
    made.close()


def add_many(store, count: int) -> None:
    """Add count comments, several at once (the file store groups them into few writes)."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda number: store.add("a", f"comment {number}"), range(count)))


def current(store) -> str:
    """Return the store's version after every write this instance made (its own, fresh)."""
    return store.snapshot().etag


def test_a_since_far_behind_is_gone_and_a_near_one_answers_its_changes(store):
    store.add("a", "first")
    far = current(store)
    add_many(store, MOST)
    # As many changes as the largest page: still answered as changes.
    assert len(json.loads(store.changes(far).body)["comments"]) == MOST
    near = current(store)
    store.add("b", "one more")
    store.delete(1)
    with pytest.raises(VersionGone, match="more than 500 comments changed"):
        store.changes(far)
    answer = json.loads(store.changes(near).body)
    assert [c["text"] for c in answer["comments"]] == ["one more"]
    assert answer["removed"] == [1]


def test_removed_comments_count_towards_the_bound(store):
    add_many(store, MOST + 1)
    far = current(store)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda number: store.update(number, {"status": "hidden"}), range(1, MOST + 2)))
    with pytest.raises(VersionGone):
        store.changes(far)
