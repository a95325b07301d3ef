"""Pages and changes since a version, one contract for both stores."""

from __future__ import annotations

import json
import os
import time

import pytest

from comments_app import create_app
from comments_app.model.versions import VersionGone, VersionUnknown
from comments_app.state import app_state
from comments_app.stores.contract import StoreError
from comments_app.stores.jsonfile import JsonFileStore


@pytest.fixture
def stores(store_settings):
    """Two instances of one store: as two workers, or two servers, see it."""
    made = [app_state(create_app(store_settings)).store for _ in range(2)]
    yield made
    for store in made:
        store.close()


def ids(body: bytes) -> list[int]:
    return [comment["id"] for comment in json.loads(body)]


def changes(store, since: str) -> dict:
    return json.loads(store.changes(since).body)


def settle(store, expected: str) -> None:
    """Wait until store serves the version expected (PostgreSQL's listener hears it)."""
    deadline = time.monotonic() + 5
    while store.snapshot().etag != expected:
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_pages_walk_the_list_newest_first_each_oldest_first(stores):
    store, _ = stores
    for number in range(7):
        store.add("a", f"comment {number}")
    first = store.page(3)
    assert ids(first.body) == [5, 6, 7]
    second = store.page(3, first.next)
    assert ids(second.body) == [2, 3, 4]
    third = store.page(3, second.next)
    assert ids(third.body) == [1] and third.next is None
    assert store.page(500).next is None and ids(store.page(500).body) == list(range(1, 8))


def test_pages_skip_comments_that_are_not_public(stores):
    store, _ = stores
    for number in range(6):
        store.add("a", f"comment {number}")
    store.update(5, {"status": "hidden"})
    store.delete(4)
    first = store.page(2)
    assert ids(first.body) == [3, 6]
    assert ids(store.page(2, first.next).body) == [1, 2]


def test_changes_report_posts_edits_hides_and_deletes_to_another_instance(stores):
    writer, reader = stores
    for number in range(3):
        writer.add("a", f"comment {number}")
    version = writer.snapshot().etag
    settle(reader, version)
    assert changes(reader, version) == {"version": version, "comments": [], "removed": []}
    writer.add("b", "new")
    writer.update(1, {"text": "edited"})
    writer.update(2, {"status": "hidden"})
    writer.delete(3)
    latest = writer.snapshot().etag
    settle(reader, latest)
    answer = changes(reader, version)
    assert answer["version"] == latest
    assert [(c["id"], c["text"]) for c in answer["comments"]] == [(1, "edited"), (4, "new")]
    assert answer["removed"] == [2, 3]
    # Republished: it comes back among the comments.
    writer.update(2, {"status": "published"})
    settle(reader, writer.snapshot().etag)
    assert [c["id"] for c in changes(reader, latest)["comments"]] == [2]


def test_changes_cost_the_changes_not_the_list(stores):
    store, _ = stores
    for number in range(300):
        store.add("someone", f"a comment long enough to weigh something, number {number}")
    version = store.snapshot().etag
    store.add("b", "one more")
    answer = store.changes(version)
    assert len(answer.body) < 300
    assert [c["text"] for c in json.loads(answer.body)["comments"]] == ["one more"]


@pytest.mark.parametrize("since", ["nonsense", "0", "zz-zz", "-", "1-", "ffffffffffffffffffff-1"])
def test_an_unknown_version_is_refused(stores, since):
    store, _ = stores
    store.add("a", "one")
    with pytest.raises(VersionUnknown):
        store.changes(since)


def test_a_version_from_another_store_is_refused(store_settings, tmp_path):
    store = app_state(create_app(store_settings)).store
    other = JsonFileStore(tmp_path / "other.json")
    other.add("a", "one")
    store.add("a", "one")
    with pytest.raises(VersionUnknown):
        store.changes(other.snapshot().etag)
    store.close()


def test_a_future_version_is_refused(stores):
    store, _ = stores
    store.add("a", "one")
    etag = store.snapshot().etag
    prefix, _, number = etag.rpartition("-")
    if isinstance(store, JsonFileStore):
        sealed = etag.split("-")[0]
        future = f"{store._seal_time(store._open_time(sealed) + 10**12)}-{number}"
    else:
        future = f"{prefix}-{int(number, 16) + 5:x}"
    with pytest.raises(VersionUnknown):
        store.changes(future)


def test_the_file_store_forgets_old_versions_and_says_so(tmp_path):
    store = JsonFileStore(tmp_path / "comments.json")
    store._journal.max_bytes = 200
    store.add("a", "one")
    oldest = store.snapshot().etag
    for number in range(12):
        store.add("a", f"more {number}")
    assert store.journal_path.stat().st_size < 200
    with pytest.raises(VersionGone):
        store.changes(oldest)
    recent = store.page(2).version
    store.add("a", "last")
    assert [c["text"] for c in changes(store, recent)["comments"]] == ["last"]


def test_a_torn_journal_entry_is_off_the_chain(tmp_path):
    store = JsonFileStore(tmp_path / "comments.json")
    store.add("a", "one")
    version = store.snapshot().etag
    with open(store.journal_path, "ab") as journal:
        journal.write(b"1 ffffffffffffffff 99,10")  # a crash mid-append
    store.add("a", "two")
    assert [c["id"] for c in changes(store, version)["comments"]] == [2]
    assert changes(JsonFileStore(store.path), version)["removed"] == []


def test_postgres_answers_gone_before_its_history_began(pg_url):
    store = app_state(create_app({"DATABASE_URL": pg_url})).store
    store.add("a", "one")
    old = store.snapshot().etag
    store.add("a", "two")
    store._read(lambda conn: conn.execute("UPDATE comments_version SET history_from = version"))
    store._version = None
    with pytest.raises(VersionGone):
        store.changes(old)
    store.close()


def test_a_file_replaced_by_hand_breaks_the_chain(tmp_path):
    path = tmp_path / "comments.json"
    store = JsonFileStore(path)
    store.add("a", "one")
    version = store.snapshot().etag
    path.write_text('[{"id": 1, "author": "a", "text": "ONE"}]')
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)
    with pytest.raises(VersionGone):
        store.changes(version)
    by_hand = store.snapshot().etag
    assert changes(store, by_hand)["comments"] == []
    store.add("b", "two")
    assert [c["text"] for c in changes(store, by_hand)["comments"]] == ["two"]


def test_a_file_version_with_a_forged_time_is_refused(tmp_path):
    store = JsonFileStore(tmp_path / "comments.json")
    store.add("a", "one")
    sealed, digest = store.snapshot().etag.split("-")
    store.add("a", "two")
    # Any bit changed, in either half, opens to no time this store sealed.
    for bit in (0, 40, 64, 127):
        with pytest.raises(VersionUnknown):
            store.changes(f"{int(sealed, 16) ^ (1 << bit):032x}-{digest}")


def test_a_version_named_before_the_key_was_made_is_gone_after_a_write(tmp_path, monkeypatch):
    path = tmp_path / "comments.json"
    path.write_text(json.dumps([{"id": 1, "author": "a", "text": "one"}]))
    store = JsonFileStore(path)

    def folder_not_writable(*args):
        raise StoreError("the secret key could not be made")

    # A folder the server cannot write (as root, permissions would not stop it): reads
    # go on, their versions named by the file's bytes.
    with monkeypatch.context() as patched:
        patched.setattr("comments_app.stores.jsonfile.store.keyfile.create", folder_not_writable)
        unkeyed = store.page(5).version
    assert not path.with_name("comments.json.key").exists()
    assert changes(store, unkeyed)["comments"] == []
    store.add("a", "two")
    # No journal entry names it: the client loads the list again.
    with pytest.raises(VersionGone):
        store.changes(unkeyed)


def test_an_import_is_reported_as_changes(stores):
    store, other = stores
    store.add("a", "one")
    version = store.snapshot().etag
    added, _ = store.import_records([{"id": 50, "author": "b", "text": "imported", "created": None}])
    assert added == 1
    if isinstance(store, JsonFileStore):
        assert [c["id"] for c in changes(other, version)["comments"]] == [50]
    else:
        # An import starts a new epoch on PostgreSQL: the client reloads its page
        # (once this process has heard of the import).
        settle(store, store._checked_refresh().etag)
        with pytest.raises(VersionUnknown):
            store.changes(version)
