"""The process's event streams (stores/streams.py) over a real store, each backend: one
encoding of each change for every reader, and nothing missed or sent twice to a reader
that joins while writes land."""

from __future__ import annotations

import json
import threading
import time

import pytest

from comments_app import create_app
from comments_app.state import app_state
from comments_app.stores.streams import RETRY

from ..conftest import NO_RATE_LIMIT, eventually


@pytest.fixture
def state(store_settings):
    state = app_state(create_app({**store_settings, **NO_RATE_LIMIT}))
    yield state
    state.streams.stop()
    state.store.close()


def events(data: bytes) -> list[dict]:
    """Parse the events in bytes a stream sent: name, id and JSON data of each."""
    found = []
    for block in data.split(b"\n\n"):
        fields: dict = {"data": []}
        for line in block.split(b"\n"):
            name, _, value = line.decode().partition(": ")
            if name == "data":
                fields["data"].append(value)
            elif name in ("id", "event"):
                fields[name] = value
        if "event" in fields:
            found.append({**fields, "data": json.loads("\n".join(fields["data"]))})
    return found


def test_each_change_is_encoded_once_for_every_reader(state):
    streams = state.streams
    readers = [streams.open("/once", None, f"client {n}")[0] for n in range(3)]
    state.store.add("Ann", "Hello", thread="/once")
    assert eventually(lambda: [len(reader.queue) for reader in readers], [1, 1, 1]) == [1, 1, 1]
    sent = [reader.queue[0] for reader in readers]
    # The same bytes object, handed to each: encoded once, not once per reader.
    assert sent[0] is sent[1] is sent[2]
    assert (streams.encoded, streams.delivered) == (1, 3)
    assert [comment["text"] for comment in events(sent[0])[0]["data"]["comments"]] == ["Hello"]


def test_a_reader_joining_while_comments_are_posted_misses_none_and_gets_none_twice(state):
    streams, store = state.streams, state.store
    thread = "/busy"
    store.add("Ann", "First", thread=thread)
    posted: list[int] = []
    done = threading.Event()

    def write() -> None:
        for n in range(40):
            posted.append(store.add("Bob", f"Number {n}", thread=thread)[0]["id"])
            time.sleep(0.005)  # a busy thread: 200 comments a second
        done.set()

    writer = threading.Thread(target=write)
    joined = []
    writer.start()
    # Readers join at versions read at different moments of the storm, each from there.
    while not done.is_set() and len(joined) < 200:
        # A page of the list and its version, as a client holds them.
        snapshot = store.snapshot(thread)
        since = snapshot.etag
        known = {comment["id"] for comment in json.loads(snapshot.body)}
        reader, head = streams.open(thread, since, f"reader {len(joined)}")
        joined.append((reader, head, known))
    writer.join()
    final = {comment["id"] for comment in json.loads(store.snapshot(thread).body)}
    for reader, head, known in joined:
        eventually(lambda reader=reader, head=head, known=known: _seen(head, reader, known), final, seconds=5)
        received = []
        for event in events(head.removeprefix(RETRY) + b"".join(reader.queue)):
            if event["event"] == "changes":
                received += [comment["id"] for comment in event["data"]["comments"]]
            else:
                # Nothing new since its version: it is told where the thread stands.
                assert event["event"] == "version"
        # Everything after the version it joined at, each once, in order.
        assert received == sorted(final - known)
    assert len(joined) > 1


def _seen(head: bytes, reader, known: set[int]) -> set[int]:
    seen = set(known)
    for event in events(head.removeprefix(RETRY) + b"".join(reader.queue)):
        seen |= {comment["id"] for comment in event["data"].get("comments", [])}
    return seen


# openapi-core reads a text/event-stream body as one value; schemathesis checks each event
# against the description (tests/fuzz).
@pytest.mark.outside_contract
def test_a_process_that_is_stopping_ends_a_new_stream_at_once_for_its_client_to_reconnect(store_settings):
    app = create_app({**store_settings, **NO_RATE_LIMIT})
    app_state(app).streams.stop()
    answer = app.test_client().get("/api/comments/events?thread=/a")
    # Not a 503, which EventSource never retries: a stream that ends, which it does.
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/event-stream"
    assert answer.get_data() == RETRY + b"\n"
    app_state(app).store.close()
