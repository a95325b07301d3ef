"""Property tests: any sequence of changes leaves each store equal to a simple model of it.

hypothesis runs random sequences of posts (in three threads, replies to any comment),
edits, status changes, deletions and threads closed and opened (repeated deletions,
unknown ids and refused replies included) against a real store, on the JSON file and on
PostgreSQL, and after every step compares what the store answers (each thread's list with
its placeholders, the counts, each comment by id, the moderation list) with a dict that
models it; and checks that a write changes its own thread's version and no other's.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
import uuid
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from comments_app.model.comment import STATUSES
from comments_app.model.validation import LIMITS, clean_comment
from comments_app.stores.contract import CommentNotFound, ParentRefused, ThreadClosed
from comments_app.stores.jsonfile import JsonFileStore
from comments_app.stores.postgres import PostgresStore

words = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


def fresh_store(kind: str, database_url: str | None):
    if kind == "json":
        return JsonFileStore(Path(tempfile.mkdtemp(prefix="model-")) / "comments.json"), None
    schema = f"model_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in database_url else "?"
    return PostgresStore(f"{database_url}{separator}options=-csearch_path%3D{schema}", 3.0), schema


THREADS = ("", "/a", "/b")


def shown_in(model: dict[int, dict], thread: str) -> list[tuple]:
    """What a thread shows, by the issue's words: its published comments, and a removed
    comment in its place while a shown reply answers it; (id, parent, author or "removed")."""
    records = {number: record for number, record in model.items() if record["thread"] == thread}
    shown: set[int] = set()
    for number in sorted(records, reverse=True):
        record = records[number]
        if (record["status"] == "published" and not record["deleted"]) or number in shown:
            shown.add(number)
            if record["parent"] is not None:
                shown.add(record["parent"])
    return [
        (
            number,
            records[number]["parent"],
            records[number]["author"]
            if records[number]["status"] == "published" and not records[number]["deleted"]
            else "removed",
        )
        for number in sorted(shown)
    ]


def model_machine(kind: str, database_url: str | None):
    class StoreModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.store, self.schema = fresh_store(kind, database_url)
            # id -> {"author", "text", "status", "thread", "parent", "deleted"}.
            self.model: dict[int, dict] = {}
            self.closed: set[str] = set()

        def teardown(self) -> None:
            self.store.close()
            if self.schema:
                with psycopg.connect(database_url, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {self.schema} CASCADE")

        def some_id(self, data) -> int:
            known = sorted(self.model)
            unknown = (max(known, default=0) + 1, 0)
            return data.draw(st.sampled_from(known + list(unknown)) if known else st.sampled_from(unknown))

        def live(self, number: int) -> dict | None:
            record = self.model.get(number)
            return None if record is None or record["deleted"] else record

        def versions(self) -> dict[str, str]:
            return {thread: self.store.etag(thread) for thread in THREADS}

        def only_changed(self, before: dict[str, str], thread: str | None) -> None:
            """A write changes its own thread's version and no other's."""
            after = self.versions()
            for other in THREADS:
                if other != thread:
                    assert after[other] == before[other], f"a write in {thread!r} changed {other!r}"

        @rule(
            author=words,
            text=words,
            status=st.sampled_from(STATUSES),
            thread=st.sampled_from(THREADS),
            data=st.data(),
        )
        def add(self, author, text, status, thread, data):
            parent = data.draw(st.none() | st.sampled_from(sorted(self.model) or [1]))
            before = self.versions()
            answered = self.live(parent) if parent is not None else None
            fits = parent is None or (
                answered is not None and answered["thread"] == thread and answered["status"] == "published"
            )
            if thread in self.closed:
                with pytest.raises(ThreadClosed):
                    self.store.add(author, text, status, thread, parent)
                self.only_changed(before, None)
                return
            if not fits:
                with pytest.raises(ParentRefused):
                    self.store.add(author, text, status, thread, parent)
                self.only_changed(before, None)
                return
            comment, _ = self.store.add(author, text, status, thread, parent)
            assert comment["id"] > max(self.model, default=0), "ids only ever grow"
            assert (comment["author"], comment["text"], comment["status"]) == (author, text, status)
            assert comment.get("parent") == parent
            self.model[comment["id"]] = {
                "author": author,
                "text": text,
                "status": status,
                "thread": thread,
                "parent": parent,
                "deleted": False,
            }
            self.only_changed(before, thread)

        @precondition(lambda self: self.model)
        @rule(
            data=st.data(),
            changes=st.fixed_dictionaries(
                {}, optional={"author": words, "text": words, "status": st.sampled_from(STATUSES)}
            ).filter(bool),
        )
        def update(self, data, changes):
            comment_id = self.some_id(data)
            before = self.versions()
            if self.live(comment_id) is None:
                with pytest.raises(CommentNotFound):
                    self.store.update(comment_id, changes)
                self.only_changed(before, None)
                return
            comment, _ = self.store.update(comment_id, changes)
            self.model[comment_id].update(changes)
            expected = self.model[comment_id]
            assert (comment["author"], comment["text"], comment["status"]) == tuple(
                expected[key] for key in ("author", "text", "status")
            )
            self.only_changed(before, expected["thread"])

        @precondition(lambda self: self.model)
        @rule(data=st.data())
        def delete(self, data):
            comment_id = self.some_id(data)
            before = self.versions()
            if self.live(comment_id) is None:
                with pytest.raises(CommentNotFound):
                    self.store.delete(comment_id)
                self.only_changed(before, None)
                return
            self.store.delete(comment_id)
            self.model[comment_id]["deleted"] = True
            self.only_changed(before, self.model[comment_id]["thread"])

        @rule(thread=st.sampled_from(THREADS[1:]), closed=st.booleans())
        def close(self, thread, closed):
            assert self.store.close_thread(thread, closed).closed is closed
            (self.closed.add if closed else self.closed.discard)(thread)

        @invariant()
        def answers_match_the_model(self):
            for thread in THREADS:
                listed = json.loads(self.store.snapshot(thread).body)
                assert [
                    (c["id"], c.get("parent"), "removed" if c.get("removed") else c["author"]) for c in listed
                ] == shown_in(self.model, thread), thread
                assert all("status" not in c for c in listed)
            counted = self.store.counts(list(THREADS[1:])).counts
            assert counted == {
                thread: sum(1 for _, _, author in shown_in(self.model, thread) if author != "removed")
                for thread in THREADS[1:]
            }
            for number, record in self.model.items():
                shown = self.store.get(number)
                if record["deleted"] or record["status"] != "published":
                    assert shown is None, number
                else:
                    assert (shown["author"], shown["text"]) == (record["author"], record["text"])
            queue = [(c["id"], c["author"], c["text"], c["status"]) for c in self.store.moderation()]
            assert queue == [
                (number, record["author"], record["text"], record["status"])
                for number, record in sorted(self.model.items())
                if not record["deleted"]
            ]

    return StoreModel


MODEL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_the_json_store_behaves_as_its_model():
    run_state_machine_as_test(model_machine("json", None), settings=MODEL_SETTINGS)


def test_the_postgresql_store_behaves_as_its_model(database_url):
    run_state_machine_as_test(model_machine("postgresql", database_url), settings=MODEL_SETTINGS)


any_value = st.one_of(
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
    st.text(max_size=120),
    st.text(st.characters(), min_size=95, max_size=10_010),
)


@settings(max_examples=400, deadline=None)
@given(author=any_value, text=any_value)
def test_validation_keeps_only_what_it_promises(author, text):
    """Whatever is submitted: no exception, and what passes is trimmed, in bounds and clean."""
    cleaned, errors = clean_comment({"author": author, "text": text})
    assert set(cleaned) | set(errors) == {"author", "text"}
    assert not set(cleaned) & set(errors)
    for field, value in cleaned.items():
        assert value == value.strip() and 0 < len(value) <= LIMITS[field]
        assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in value if char not in "\t\n\r")
        # Cleaning is stable: a cleaned comment passes again unchanged.
        again, again_errors = clean_comment(
            {**cleaned, **{other: "x" for other in LIMITS if other not in cleaned}}
        )
        assert again_errors == {} and again[field] == value
    if "author" in cleaned:
        assert "\n" not in cleaned["author"] and "\r" not in cleaned["author"]
        assert unicodedata.normalize("NFKC", cleaned["author"]) == cleaned["author"]
        assert not any(unicodedata.category(char) in ("Cf", "Co", "Zl", "Zp") for char in cleaned["author"])
