"""What makes a write durable and atomic, each guarantee checked where it can break.

The kill -9 storms in test_server.py show that acknowledged comments survive a crash
of the processes; they cannot show a power cut, which only an fsync survives. These
tests watch the real system calls the JSON store makes (each one still runs) and the
files' behaviour that only a rename gives.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests

from ..app.test_api import post


@pytest.fixture
def syscalls(monkeypatch):
    """Record, in order, the fsyncs (by the path of the synced file) and renames."""
    calls: list[tuple[str, str, str]] = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd):
        calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"), ""))
        return real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        calls.append(("rename", str(Path(src).resolve()), str(Path(dst).resolve())))
        return real_replace(src, dst, *args, **kwargs)

    def rename(src, dst, *args, **kwargs):
        calls.append(("rename", str(Path(src).resolve()), str(Path(dst).resolve())))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    return calls


def test_a_write_fsyncs_the_new_file_renames_it_then_fsyncs_the_folder(client, comments_file, syscalls):
    assert post(client, author="a", text="first").status_code == 201
    store, folder = str(comments_file.resolve()), str(comments_file.parent.resolve())
    renames = [call for call in syscalls if call[0] == "rename" and call[2] == store]
    assert len(renames) == 1, f"the store was not replaced by a rename: {syscalls}"
    at = syscalls.index(renames[0])
    temporary = renames[0][1]
    assert temporary != store
    # The new bytes reach the disk before the name points at them...
    assert ("fsync", temporary, "") in syscalls[:at], syscalls
    # ...and the new name reaches the disk after, or a power cut brings the old list back.
    assert ("fsync", folder, "") in syscalls[at + 1 :], syscalls


def test_a_named_threads_write_syncs_its_ids_then_replaces_its_file_whole(comments_file, syscalls):
    """A thread's file is never half-written, and its new ids are on disk before it: an id a
    power cut loses with its comment was never acknowledged, and is never given again."""
    from comments_app.model.threads import tag
    from comments_app.stores.jsonfile import JsonFileStore

    store = JsonFileStore(comments_file)
    store.add("a", "first", thread="/a")
    syscalls.clear()
    store.add("a", "second " * 300, thread="/a")
    target = comments_file.with_name("comments.json.threads").resolve() / f"{tag('/a')}.json"
    ids = str(comments_file.with_name("comments.json.ids").resolve())
    renames = [call for call in syscalls if call[0] == "rename" and call[2] == str(target)]
    assert len(renames) == 1, f"the thread's file was not replaced by a rename: {syscalls}"
    at = syscalls.index(renames[0])
    temporary = renames[0][1]
    assert syscalls.index(("fsync", ids, "")) < syscalls.index(("fsync", temporary, "")) < at, syscalls
    assert ("fsync", str(target.parent), "") in syscalls[at + 1 :], syscalls
    assert [c["text"][:6] for c in json.loads(target.read_bytes())] == ["first", "second"]


def test_a_reader_holding_the_file_keeps_the_whole_old_version(client, comments_file):
    """A rename leaves an open file as it was; a write in place would change it under the reader."""
    assert post(client, author="a", text="first").status_code == 201
    with open(comments_file, "rb") as reader:
        before = reader.read()
        assert post(client, author="a", text="second " * 500).status_code == 201
        reader.seek(0)
        assert reader.read() == before
    assert [c["text"][:6] for c in json.loads(comments_file.read_bytes())] == ["first", "second"]


def test_conditional_gets_on_every_worker_see_another_workers_write(start_server, comments_file):
    """A 304 must not come from a worker's memory: each worker checks the file."""
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    url = server.url + "/api/comments"
    assert requests.post(url, data={"author": "a", "text": "first"}).status_code == 201
    old = requests.get(url).headers["ETag"]
    # New connections spread over the workers: every one of them has the old version cached.
    for _ in range(24):
        assert requests.get(url, headers={"If-None-Match": old}).status_code == 304
    assert requests.post(url, data={"author": "a", "text": "second"}).status_code == 201
    answers = [requests.get(url, headers={"If-None-Match": old}) for _ in range(24)]
    assert [answer.status_code for answer in answers] == [200] * 24
    assert {answer.headers["ETag"] for answer in answers} != {old}
    assert all(len(answer.json()) == 2 for answer in answers)


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/../../secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/%2fsecret.txt",
        "//secret.txt",
    ],
)
def test_no_path_reaches_a_file_beside_the_public_folder(tmp_path, comments_file, path):
    from comments_app import create_app

    public = tmp_path / "public"
    (public / "assets").mkdir(parents=True)
    (public / "index.html").write_text("<!doctype html><title>box</title>")
    (tmp_path / "secret.txt").write_text("the secret")
    app = create_app({"COMMENTS_FILE": str(comments_file), "PUBLIC_FOLDER": str(public)})
    # Sanity: the same file inside the public folder is served, so a 404 below means refused.
    (public / "secret.txt").write_text("public copy")
    assert app.test_client().get("/secret.txt").data == b"public copy"
    (public / "secret.txt").unlink()
    # A full URL: the test client reads a bare "//secret.txt" as the host secret.txt.
    response = app.test_client().get("http://localhost" + path)
    assert b"the secret" not in response.data
    assert response.status_code in (308, 404)
    if response.status_code == 308:
        assert b"the secret" not in app.test_client().get(response.headers["Location"]).data
