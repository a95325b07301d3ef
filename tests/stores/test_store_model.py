"""Property tests: any sequence of changes leaves each store equal to a simple model of it.

hypothesis runs random sequences of posts, edits, status changes and deletions
(repeated deletions and unknown ids included) against a real store, on the JSON
file and on PostgreSQL, and after every step compares what the store answers (the
public list, each comment by id, the moderation list) with a dict that models it.
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
from comments_app.stores.contract import CommentNotFound
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


def model_machine(kind: str, database_url: str | None):
    class StoreModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.store, self.schema = fresh_store(kind, database_url)
            # id -> {"author", "text", "status"}, or None once deleted.
            self.model: dict[int, dict | None] = {}

        def teardown(self) -> None:
            self.store.close()
            if self.schema:
                with psycopg.connect(database_url, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {self.schema} CASCADE")

        def some_id(self, data) -> int:
            known = sorted(self.model)
            unknown = (max(known, default=0) + 1, 0)
            return data.draw(st.sampled_from(known + list(unknown)) if known else st.sampled_from(unknown))

        @rule(author=words, text=words, status=st.sampled_from(STATUSES))
        def add(self, author, text, status):
            comment, _ = self.store.add(author, text, status)
            assert comment["id"] > max(self.model, default=0), "ids only ever grow"
            assert (comment["author"], comment["text"], comment["status"]) == (author, text, status)
            self.model[comment["id"]] = {"author": author, "text": text, "status": status}

        @precondition(lambda self: self.model)
        @rule(
            data=st.data(),
            changes=st.fixed_dictionaries(
                {}, optional={"author": words, "text": words, "status": st.sampled_from(STATUSES)}
            ).filter(bool),
        )
        def update(self, data, changes):
            comment_id = self.some_id(data)
            if self.model.get(comment_id) is None:
                with pytest.raises(CommentNotFound):
                    self.store.update(comment_id, changes)
                return
            comment, _ = self.store.update(comment_id, changes)
            self.model[comment_id].update(changes)
            expected = self.model[comment_id]
            assert (comment["author"], comment["text"], comment["status"]) == tuple(
                expected[key] for key in ("author", "text", "status")
            )

        @precondition(lambda self: self.model)
        @rule(data=st.data())
        def delete(self, data):
            comment_id = self.some_id(data)
            if self.model.get(comment_id) is None:
                with pytest.raises(CommentNotFound):
                    self.store.delete(comment_id)
                return
            self.store.delete(comment_id)
            self.model[comment_id] = None

        @invariant()
        def answers_match_the_model(self):
            published = [
                (number, record["author"], record["text"])
                for number, record in sorted(self.model.items())
                if record is not None and record["status"] == "published"
            ]
            listed = json.loads(self.store.snapshot().body)
            assert [(c["id"], c["author"], c["text"]) for c in listed] == published
            assert all("status" not in c for c in listed)
            for number, record in self.model.items():
                shown = self.store.get(number)
                if record is None or record["status"] != "published":
                    assert shown is None, number
                else:
                    assert (shown["author"], shown["text"]) == (record["author"], record["text"])
            queue = [(c["id"], c["author"], c["text"], c["status"]) for c in self.store.moderation()]
            assert queue == [
                (number, record["author"], record["text"], record["status"])
                for number, record in sorted(self.model.items())
                if record is not None
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
