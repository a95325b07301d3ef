"""Pages and changes on live gunicorn with 4 workers, on both stores."""

from __future__ import annotations

import gzip
import re
import threading

import psycopg
import pytest
import requests
from werkzeug.security import generate_password_hash

from ..conftest import new_schema

MOD = ("mod", "mod-secret")
NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


@pytest.fixture(scope="module", params=["json", "postgresql"])
def reading_server(request, start_shared_server, tmp_path_factory):
    """One server per store for the tests that only read, holding one comment."""
    if request.param == "json":
        settings = {"COMMENTS_FILE": str(tmp_path_factory.mktemp("feed") / "comments.json")}
    else:
        url = new_schema(request.getfixturevalue("database_url"), request.getfixturevalue("schemas_to_drop"))
        settings = {"DATABASE_URL": url}
    server = start_shared_server(workers=2, **settings)
    post(server.url, "one")
    return server


@pytest.fixture
def server(start_server, store_settings):
    """A server on a fresh store of each kind, with a moderator."""
    return start_server(
        workers=4, COMMENTS_ADMIN_USERS=f"mod:{generate_password_hash(MOD[1])}", **store_settings
    )


def post(url: str, text: str) -> requests.Response:
    response = requests.post(url + "/api/comments", json={"author": "a", "text": text}, timeout=30)
    assert response.status_code == 201, response.text
    return response


def get(url: str, **params) -> requests.Response:
    return requests.get(url + "/api/comments", params=params, timeout=30)


def next_link(response: requests.Response) -> str | None:
    link = response.headers.get("Link")
    return None if link is None else NEXT.match(link).group(1)


def test_a_page_carries_the_newest_comments_a_version_and_a_link(server):
    for number in range(1, 8):
        post(server.url, f"comment {number}")
    whole = get(server.url)
    assert whole.headers["Comments-Version"] and "Link" not in whole.headers
    page = get(server.url, limit=3)
    assert page.status_code == 200
    assert [c["id"] for c in page.json()] == [5, 6, 7]
    assert page.headers["Comments-Version"] == whole.headers["Comments-Version"]
    assert page.headers["ETag"] != whole.headers["ETag"]
    older = requests.get(server.url + next_link(page), timeout=30)
    assert [c["id"] for c in older.json()] == [2, 3, 4]
    last = requests.get(server.url + next_link(older), timeout=30)
    assert [c["id"] for c in last.json()] == [1] and "Link" not in last.headers
    # Every worker knows the page's ETag: 304 from each.
    for _ in range(8):
        again = (
            get(server.url, limit=3, headers=None)
            if False
            else requests.get(
                server.url + "/api/comments?limit=3",
                headers={"If-None-Match": page.headers["ETag"]},
                timeout=30,
            )
        )
        assert again.status_code == 304
        assert again.headers["Comments-Version"] == page.headers["Comments-Version"]
    zipped = requests.get(
        server.url + "/api/comments?limit=3", headers={"Accept-Encoding": "gzip"}, stream=True
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.raw.read(decode_content=False)) == page.content


def test_following_next_visits_every_comment_once_while_others_post_edit_and_delete(server):
    for number in range(60):
        post(server.url, f"before {number}")
    stop = threading.Event()

    def churn() -> None:
        number = 0
        while not stop.is_set():
            response = post(server.url, f"during {number}")
            number += 1
            if number % 5 == 0:
                token = response.headers["Comment-Token"]
                new_id = response.headers["Location"].rsplit("/", 1)[1]
                requests.patch(
                    f"{server.url}/api/comments/{new_id}",
                    json={"text": "edited"},
                    headers={"Comment-Token": token},
                )

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        seen = []
        url = server.url + "/api/comments?limit=7"
        while url:
            page = requests.get(url, timeout=30)
            assert page.status_code == 200
            seen.extend(comment["id"] for comment in page.json())
            link = next_link(page)
            url = server.url + link if link else None
    finally:
        stop.set()
        writer.join()
    assert len(seen) == len(set(seen))
    assert set(range(1, 61)) <= set(seen)


def changes(url: str, since: str) -> dict:
    response = get(url, since=since)
    assert response.status_code == 200, response.text
    assert response.headers["Comments-Version"] == response.json()["version"]
    return response.json()


def test_since_reports_posts_edits_hides_and_deletes_from_every_worker(server):
    tokens = {}
    for number in range(1, 6):
        tokens[number] = post(server.url, f"comment {number}").headers["Comment-Token"]
    version = get(server.url).headers["Comments-Version"]
    for _ in range(8):  # whichever worker answers
        assert changes(server.url, version) == {"version": version, "comments": [], "removed": []}
    post(server.url, "new one")
    after_post = changes(server.url, version)
    assert [c["text"] for c in after_post["comments"]] == ["new one"]
    assert after_post["removed"] == []
    assert len(get(server.url, since=version).content) < 400
    edited = requests.patch(
        server.url + "/api/comments/2",
        json={"text": "fixed"},
        headers={"Comment-Token": tokens[2]},
        timeout=30,
    )
    assert edited.status_code == 200
    hidden = requests.patch(server.url + "/api/comments/3", json={"status": "hidden"}, auth=MOD)
    assert hidden.status_code == 200
    deleted = requests.delete(
        server.url + "/api/comments/4", headers={"Comment-Token": tokens[4]}, timeout=30
    )
    assert deleted.status_code == 204
    latest = get(server.url).headers["Comments-Version"]
    for _ in range(8):
        answer = changes(server.url, version)
        assert answer["version"] == latest
        assert [(c["id"], c["text"]) for c in answer["comments"]] == [(2, "fixed"), (6, "new one")]
        assert answer["removed"] == [3, 4]
        assert changes(server.url, latest) == {"version": latest, "comments": [], "removed": []}
    # Nothing changed since: 304 for the ETag the answer had.
    quiet = get(server.url, since=latest)
    again = requests.get(
        server.url + "/api/comments",
        params={"since": latest},
        headers={"If-None-Match": quiet.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("limit=%EF%BC%95", "limit"),
        ("before=3", "before"),
        ("limit=5&before=x", "before"),
        ("since=", "since"),
        ("since=%22x%22", "since"),
        ("since=nonsense", "since"),
        ("since=0", "since"),
        ("since=abc-1&limit=3", "since"),
    ],
)
def test_bad_parameters_are_400_naming_them(reading_server, query, field):
    response = requests.get(reading_server.url + "/api/comments?" + query, timeout=30)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert field in response.json()["fields"]


def test_a_file_version_older_than_the_journal_is_410(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file))
    post(server.url, "one")
    version = get(server.url).headers["Comments-Version"]
    post(server.url, "two")
    # As after many writes: the journal keeps only the newer entries.
    journal = comments_file.with_name(comments_file.name + ".changes")
    shortened = journal.with_name("shortened")
    post(server.url, "three")
    shortened.write_bytes(journal.read_bytes().splitlines(keepends=True)[-1])  # "three"'s entry
    shortened.replace(journal)
    gone = get(server.url, since=version)
    assert gone.status_code == 410
    assert "since" in gone.json()["fields"]
    # The client reloads and polls from there.
    latest = get(server.url).headers["Comments-Version"]
    assert changes(server.url, latest)["comments"] == []


def test_a_database_version_from_before_its_history_is_410(start_server, pg_url):
    server = start_server(workers=4, DATABASE_URL=pg_url)
    post(server.url, "one")
    version = get(server.url).headers["Comments-Version"]
    post(server.url, "two")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # As a table made before the changed column: history starts now.
        conn.execute("UPDATE comments_version SET history_from = version")
    assert get(server.url, since=version).status_code == 410
