"""Moderation and authors' tokens on real gunicorn servers: several workers, several instances."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from werkzeug.security import generate_password_hash

from ..conftest import eventually, storm_then_kill

MOD_PW = "mod-secret"
READER_PW = "reader-secret"


def post(url: str, text: str, **kwargs) -> requests.Response:
    response = requests.post(url + "/api/comments", json={"author": "a", "text": text}, timeout=30, **kwargs)
    assert response.status_code in (201, 202), response.text
    return response


def comment_id(response: requests.Response) -> int:
    if response.status_code == 202:
        return response.json()["id"]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def listed(url: str) -> list[dict]:
    return requests.get(url + "/api/comments", timeout=30).json()


def patch(url: str, number: int, token: str, **body) -> requests.Response:
    return requests.patch(
        f"{url}/api/comments/{number}", json=body, headers={"Comment-Token": token}, timeout=30
    )


def test_a_token_made_by_one_worker_is_accepted_by_the_others(start_server, comments_file):
    # Two servers on one store file: a token always crosses from the processes that made it
    # to others. (Within one gevent server, one worker may take every connection.)
    makers = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    checkers = start_server(workers=2, COMMENTS_FILE=str(comments_file))
    with ThreadPoolExecutor(8) as pool:
        posted = list(pool.map(lambda n: post(makers.url, f"comment {n}"), range(24)))
        tokens = {comment_id(r): r.headers["Comment-Token"] for r in posted}
        edits = list(
            pool.map(lambda item: patch(checkers.url, *item, text=f"edited {item[0]}"), tokens.items())
        )
    assert [r.status_code for r in edits] == [200] * 24
    stored = {c["id"]: c["text"] for c in json.loads(comments_file.read_bytes())}
    assert stored == {number: f"edited {number}" for number in tokens}
    # Every process's key is the same: the one beside the store, made once.
    key_file = comments_file.with_name("comments.json.key")
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_the_window_closes(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_EDIT_WINDOW="2")
    started = time.monotonic()
    posted = post(server.url, "soon frozen")
    token = posted.headers["Comment-Token"]
    assert patch(server.url, 1, token, text="fixed in time").status_code == 200
    deadline = started + 30
    attempt = 0
    while (response := patch(server.url, 1, token, text=f"attempt {attempt}")).status_code == 200:
        assert time.monotonic() < deadline, "the window never closed"
        attempt += 1
        time.sleep(0.2)
    assert time.monotonic() - started >= 2
    assert response.status_code == 403
    assert "expired" in response.json()["error"]
    late_delete = requests.delete(
        server.url + "/api/comments/1", headers={"Comment-Token": token}, timeout=30
    )
    assert late_delete.status_code == 403
    listed = requests.get(server.url + "/api/comments", timeout=30).json()
    assert [c["text"] for c in listed] == [f"attempt {attempt - 1}" if attempt else "fixed in time"]


def test_moderators_and_readers_are_told_apart(start_server, comments_file):
    server = start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_AUTH_USERS=f"reader:{generate_password_hash(READER_PW)}",
        COMMENTS_ADMIN_USERS=f"mod:{generate_password_hash(MOD_PW)}",
    )
    mod, reader = ("mod", MOD_PW), ("reader", READER_PW)
    url = server.url
    assert requests.get(url + "/api/comments", timeout=30).status_code == 401
    posted = post(url, "by the reader", auth=reader)
    post(url, "by the moderator", auth=mod)
    assert requests.get(url + "/api/comments", auth=mod, timeout=30).status_code == 200
    for response in (
        requests.get(url + "/api/moderation/comments", auth=reader, timeout=30),
        requests.get(url + "/api/moderation/comments", timeout=30),
        requests.patch(url + "/api/comments/2", json={"status": "hidden"}, auth=reader, timeout=30),
        requests.delete(url + "/api/comments/2", auth=reader, timeout=30),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Comments moderation"'
    token = {"Comment-Token": posted.headers["Comment-Token"]}
    refused = requests.patch(url + "/api/comments/1", json={"status": "hidden"}, headers=token, auth=reader)
    assert refused.status_code == 403
    hidden = requests.patch(url + "/api/comments/1", json={"status": "hidden"}, auth=mod, timeout=30)
    assert hidden.status_code == 200
    listed = requests.get(url + "/api/moderation/comments", auth=mod, timeout=30).json()
    assert [(c["id"], c["status"]) for c in listed] == [(1, "hidden"), (2, "published")]
    public = requests.get(url + "/api/comments", auth=reader, timeout=30).json()
    assert [c["text"] for c in public] == ["by the moderator"]


def test_forged_and_foreign_tokens_are_refused(start_server, tmp_path):
    here = start_server(workers=4, COMMENTS_FILE=str(tmp_path / "here.json"))
    there = start_server(workers=2, COMMENTS_FILE=str(tmp_path / "there.json"))
    mine = post(here.url, "mine").headers["Comment-Token"]
    post(here.url, "another")
    foreign = post(there.url, "elsewhere").headers["Comment-Token"]
    payload, stamp, signature = mine.split(".")
    forged_payload = ".".join(["Mg", stamp, signature])  # "2" in base64: the other comment
    forged_signature = ".".join([payload, stamp, signature[::-1]])
    for number, token in ((1, foreign), (2, mine), (2, forged_payload), (1, forged_signature)):
        for response in (
            patch(here.url, number, token, text="taken over"),
            requests.delete(
                f"{here.url}/api/comments/{number}", headers={"Comment-Token": token}, timeout=30
            ),
        ):
            assert response.status_code == 403, (number, token)
    assert [c["text"] for c in requests.get(here.url + "/api/comments", timeout=30).json()] == [
        "mine",
        "another",
    ]
    assert patch(here.url, 1, mine, text="still mine").status_code == 200


def test_two_instances_on_postgresql_share_tokens_through_the_secret_key(start_server, pg_url, tmp_path):
    shared = {"DATABASE_URL": pg_url, "COMMENTS_FILE": str(tmp_path / "unused.json")}
    key = "a-long-shared-secret-for-both-dynos"
    first = start_server(workers=2, COMMENTS_SECRET_KEY=key, **shared)
    second = start_server(workers=2, COMMENTS_SECRET_KEY=key, **shared)
    stranger = start_server(workers=2, COMMENTS_SECRET_KEY="another-secret-entirely", **shared)
    posted = post(first.url, "from the first dyno")
    token = posted.headers["Comment-Token"]
    assert patch(stranger.url, 1, token, text="not here").status_code == 403
    edited = patch(second.url, 1, token, text="edited on the second")
    assert edited.status_code == 200
    assert edited.json()["text"] == "edited on the second"
    for server in (first, second, stranger):
        texts = eventually(lambda url=server.url: [c["text"] for c in listed(url)], ["edited on the second"])
        assert texts == ["edited on the second"]
    deleted = requests.delete(second.url + "/api/comments/1", headers={"Comment-Token": token}, timeout=30)
    assert deleted.status_code == 204
    assert eventually(lambda: listed(first.url), []) == []
    assert not (tmp_path / "unused.json.key").exists()


def test_instances_on_one_database_without_the_setting_share_its_key(start_server, pg_url, tmp_path):
    shared = {"DATABASE_URL": pg_url, "COMMENTS_FILE": str(tmp_path / "unused.json")}
    first, second = (start_server(workers=2, **shared) for _ in range(2))
    token = post(first.url, "one").headers["Comment-Token"]
    assert patch(second.url, 1, token, text="two").status_code == 200


def storm(url: str, client: int, stop: threading.Event, log: list[tuple[str, int, str]]) -> None:
    """Post, edit and delete (every third) until the server dies; log what was acknowledged."""
    number = 0
    with requests.Session() as session:
        while not stop.is_set():
            text = f"s{client}-{number}"
            number += 1
            try:
                posted = session.post(url + "/api/comments", json={"author": "s", "text": text}, timeout=10)
                if posted.status_code != 201:
                    continue
                ident = comment_id(posted)
                log.append(("add", ident, text))
                headers = {"Comment-Token": posted.headers["Comment-Token"]}
                edit = session.patch(
                    f"{url}/api/comments/{ident}",
                    json={"text": text + " edited"},
                    headers=headers,
                    timeout=10,
                )
                if edit.status_code != 200:
                    continue
                log.append(("edit", ident, text + " edited"))
                if (
                    number % 3 == 0
                    and session.delete(f"{url}/api/comments/{ident}", headers=headers, timeout=10).status_code
                    == 204
                ):
                    log.append(("delete", ident, "-"))
            except requests.RequestException:
                continue


def test_kill_9_during_a_storm_of_posts_edits_and_deletes(start_server, comments_file):
    log: list[tuple[str, int, str]] = []
    for _ in range(3):
        server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
        storm_then_kill(server, storm, log, seconds=30)
        records = json.loads(comments_file.read_bytes())
        ids = [record["id"] for record in records]
        assert ids == sorted(set(ids))
        held = {r["id"]: ("deleted" if "deleted" in r else r["text"]) for r in records}
        final: dict[int, str] = {}
        for kind, ident, text in log:
            final[ident] = "deleted" if kind == "delete" else text
        for ident, state in final.items():
            if state == "deleted":
                assert held[ident] == "deleted"
            elif state.endswith(" edited"):
                assert held[ident] in (state, "deleted")
            else:
                assert held[ident] in (state, state + " edited")
        server.stop()
    assert len(log) >= 3 * 60
    assert any(kind == "delete" for kind, _, _ in log) and any(kind == "edit" for kind, _, _ in log)
