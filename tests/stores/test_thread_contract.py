"""Threads, replies and removals: one contract, both stores (issue 20)."""

from __future__ import annotations

import json

import pytest

from comments_app import create_app
from comments_app.model.versions import VersionGone, VersionUnknown
from comments_app.state import app_state
from comments_app.stores.contract import CommentNotFound, ParentRefused, ThreadClosed


@pytest.fixture
def store(store_settings):
    app = create_app(store_settings)
    yield app_state(app).store
    app_state(app).store.close()


def listed(store, thread: str = "") -> list[dict]:
    return json.loads(store.snapshot(thread).body)


def test_each_thread_has_its_own_list_and_ids_stay_global(store):
    first, snapshot_a = store.add("Ann", "On a", thread="/a")
    second, _ = store.add("Bob", "On b", thread="/b")
    default, _ = store.add("Cy", "On the default thread")
    assert [first["id"], second["id"], default["id"]] == [1, 2, 3]
    assert [c["id"] for c in json.loads(snapshot_a.body)] == [1]
    assert [c["id"] for c in listed(store, "/b")] == [2]
    assert [c["id"] for c in listed(store)] == [3]
    assert listed(store, "/never") == []
    assert store.get(2)["thread"] == "/b"
    assert store.record(1)["thread"] == "/a"


def test_a_comment_of_a_named_thread_carries_its_thread_and_parent(store):
    comment, _ = store.add("Ann", "Top", thread="/a")
    assert comment["thread"] == "/a" and comment["parent"] is None
    (shown,) = listed(store, "/a")
    assert shown["parent"] is None and shown["thread"] == "/a"


def test_the_default_thread_keeps_the_shape_it_had(store):
    comment, snapshot = store.add("Ann", "Hello")
    assert set(comment) == {"id", "author", "text", "created", "status"}
    assert json.loads(snapshot.body) == [{key: comment[key] for key in ("id", "author", "text", "created")}]


def test_a_write_in_one_thread_changes_no_other_threads_version(store):
    store.add("Ann", "first", thread="/a")
    store.add("Bob", "first", thread="/b")
    before_b, before_default = store.etag("/b"), store.etag()
    before_a = store.etag("/a")
    comment, _ = store.add("Ann", "second", thread="/a")
    store.update(comment["id"], {"text": "edited"})
    store.delete(comment["id"])
    assert store.etag("/a") != before_a
    assert store.etag("/b") == before_b
    assert store.etag() == before_default
    assert store.snapshot("/b").etag == before_b


def test_versions_of_different_threads_differ_and_are_not_taken_for_each_other(store):
    store.add("Ann", "a", thread="/a")
    store.add("Bob", "b", thread="/b")
    assert store.etag("/a") != store.etag("/b")
    with pytest.raises((VersionUnknown, VersionGone)):
        store.changes(store.etag("/a"), "/b")


def test_changes_are_per_thread(store):
    store.add("Ann", "a1", thread="/a")
    since = store.etag("/a")
    store.add("Bob", "b1", thread="/b")
    added, _ = store.add("Ann", "a2", thread="/a")
    changes = json.loads(store.changes(since, "/a").body)
    assert [c["id"] for c in changes["comments"]] == [added["id"]]
    assert changes["removed"] == []
    assert changes["version"] == store.etag("/a")


def test_a_reply_names_a_published_comment_of_its_own_thread(store):
    top, _ = store.add("Ann", "Top", thread="/a")
    reply, snapshot = store.add("Bob", "Reply", thread="/a", parent=top["id"])
    assert reply["parent"] == top["id"]
    assert [(c["id"], c["parent"]) for c in json.loads(snapshot.body)] == [
        (top["id"], None),
        (reply["id"], top["id"]),
    ]
    other, _ = store.add("Cy", "Elsewhere", thread="/b")
    hidden, _ = store.add("Di", "Held", thread="/a", status="pending")
    for parent in (other["id"], hidden["id"], 999):
        with pytest.raises(ParentRefused):
            store.add("Eve", "Reply", thread="/a", parent=parent)
    assert [c["id"] for c in listed(store, "/a")] == [top["id"], reply["id"]]


def test_replies_work_in_the_default_thread_too(store):
    top, _ = store.add("Ann", "Top")
    reply, _ = store.add("Bob", "Reply", parent=top["id"])
    assert listed(store)[1]["parent"] == top["id"]
    assert "parent" not in listed(store)[0]
    with pytest.raises(ParentRefused):
        store.add("Cy", "Cross", thread="/a", parent=top["id"])
    assert reply["parent"] == top["id"]


@pytest.mark.parametrize("removal", ["delete", "hide"])
def test_a_removed_comment_with_replies_keeps_its_place(store, removal):
    top, _ = store.add("Ann", "Top", thread="/a")
    reply, _ = store.add("Bob", "Reply", thread="/a", parent=top["id"])
    since = store.etag("/a")
    if removal == "delete":
        store.delete(top["id"])
    else:
        store.update(top["id"], {"status": "hidden"})
    shown = listed(store, "/a")
    assert shown[0] == {"id": top["id"], "parent": None, "removed": True, "created": top["created"]}
    assert shown[1]["id"] == reply["id"]
    changes = json.loads(store.changes(since, "/a").body)
    assert [c.get("removed") for c in changes["comments"]] == [True]
    # With no replies left, it disappears as a comment without replies does.
    since = store.etag("/a")
    store.delete(reply["id"])
    assert listed(store, "/a") == []
    changes = json.loads(store.changes(since, "/a").body)
    assert sorted(changes["removed"]) == [top["id"], reply["id"]]
    assert store.counts(["/a"]).counts == {"/a": 0}


def test_a_removed_reply_with_replies_keeps_the_chain_to_them(store):
    top, _ = store.add("Ann", "Top", thread="/a")
    middle, _ = store.add("Bob", "Middle", thread="/a", parent=top["id"])
    leaf, _ = store.add("Cy", "Leaf", thread="/a", parent=middle["id"])
    store.update(top["id"], {"status": "hidden"})
    store.delete(middle["id"])
    shown = listed(store, "/a")
    assert [(c["id"], c.get("removed", False)) for c in shown] == [
        (top["id"], True),
        (middle["id"], True),
        (leaf["id"], False),
    ]
    store.update(top["id"], {"status": "published"})
    assert listed(store, "/a")[0]["text"] == "Top"


def test_a_page_holds_whole_conversations(store):
    first, _ = store.add("Ann", "one", thread="/a")
    second, _ = store.add("Bob", "two", thread="/a")
    late_reply, _ = store.add("Cy", "late reply to one", thread="/a", parent=first["id"])
    third, _ = store.add("Di", "three", thread="/a")
    page = store.page(2, thread="/a")
    assert [c["id"] for c in json.loads(page.body)] == [second["id"], third["id"]]
    assert page.next == second["id"]
    older = store.page(2, before=page.next, thread="/a")
    assert [c["id"] for c in json.loads(older.body)] == [first["id"], late_reply["id"]]
    assert older.next is None


def test_counts_are_published_comments_replies_included(store):
    top, _ = store.add("Ann", "Top", thread="/a")
    store.add("Bob", "Reply", thread="/a", parent=top["id"])
    store.add("Cy", "Held", thread="/a", status="pending")
    store.add("Di", "On b", thread="/b")
    counts = store.counts(["/a", "/b", "/c"])
    assert counts.counts == {"/a": 2, "/b": 1, "/c": 0}
    unchanged = store.counts(["/a", "/b", "/c"]).etag
    assert unchanged == counts.etag
    store.add("Eve", "another on b", thread="/b")
    assert store.counts(["/a", "/b", "/c"]).etag != counts.etag
    assert store.counts(["/a"]).etag == store.counts(["/a"]).etag


def test_latest_is_newest_first_across_threads_published_only(store):
    a, _ = store.add("Ann", "a", thread="/a")
    store.add("Bob", "held", thread="/b", status="pending")
    b, _ = store.add("Cy", "b", thread="/b")
    d, _ = store.add("Di", "default")
    latest = store.latest(10)
    assert [c["id"] for c in latest] == [d["id"], b["id"], a["id"]]
    assert [c.get("thread") for c in latest] == [None, "/b", "/a"]
    assert all("status" not in c for c in latest)
    assert [c["id"] for c in store.latest(1)] == [d["id"]]


def test_closed_threads_take_no_new_comments(store):
    top, _ = store.add("Ann", "Top", thread="/a")
    assert store.thread_info("/a").closed is False
    info = store.close_thread("/a", True)
    assert (info.closed, info.count) == (True, 1)
    with pytest.raises(ThreadClosed):
        store.add("Bob", "New", thread="/a")
    with pytest.raises(ThreadClosed):
        store.add("Bob", "Reply", thread="/a", parent=top["id"])
    assert store.closed_threads() == ["/a"]
    store.add("Cy", "elsewhere", thread="/b")
    assert store.close_thread("/a", False).closed is False
    store.add("Bob", "New", thread="/a")
    assert store.thread_info("/a").count == 2
    assert store.thread_info("/never").closed is False


def test_moderation_filters_by_thread(store):
    store.add("Ann", "a", thread="/a", status="pending")
    store.add("Bob", "b", thread="/b", status="pending")
    assert [c["thread"] for c in store.moderation(thread="/a")] == ["/a"]
    assert len(store.moderation()) == 2
    assert store.moderation(status="pending", thread="/b")[0]["author"] == "Bob"


def test_update_and_delete_find_a_comment_by_id_in_any_thread(store):
    comment, _ = store.add("Ann", "a", thread="/deep/page/")
    edited, snapshot = store.update(comment["id"], {"text": "edited"})
    assert edited["text"] == "edited" and edited["thread"] == "/deep/page/"
    assert json.loads(snapshot.body)[0]["text"] == "edited"
    store.delete(comment["id"])
    with pytest.raises(CommentNotFound):
        store.update(comment["id"], {"text": "again"})


def test_export_and_import_carry_threads_parents_and_removals(store_settings, tmp_path):
    app = create_app(store_settings)
    store = app_state(app).store
    top, _ = store.add("Ann", "Top", thread="/a")
    store.add("Bob", "Reply", thread="/a", parent=top["id"])
    store.add("Cy", "Default")
    store.delete(top["id"])
    store.close_thread("/a", True)
    records = store.export_records()
    closed = store.closed_threads()
    views = {thread: listed(store, thread) for thread in ("", "/a")}
    store.close()
    other = create_app({"COMMENTS_FILE": str(tmp_path / "other.json")})
    target = app_state(other).store
    assert target.import_records(records) == (3, 0)
    for thread in closed:
        target.close_thread(thread, True)
    assert {thread: listed(target, thread) for thread in ("", "/a")} == views
    assert target.thread_info("/a").closed is True
    assert target.export_records() == records
