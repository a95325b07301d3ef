"""Abuse limits on a live gunicorn with 4 workers: rate limits, Redis, login throttling."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from werkzeug.security import generate_password_hash

from comments_app import config


def post(url: str, text: str = "hello", headers: dict | None = None) -> requests.Response:
    """Post one comment on a connection of its own, so that any worker may take it."""
    return requests.post(
        url + "/api/comments", json={"author": "ann", "text": text}, headers=headers or {}, timeout=30
    )


def stored(comments_file: Path) -> list[dict]:
    return json.loads(comments_file.read_text()) if comments_file.exists() else []


def assert_too_many(response: requests.Response, window: int) -> None:
    assert response.status_code == 429, response.text
    seconds = response.headers["Retry-After"]
    assert seconds.isdigit() and 1 <= int(seconds) <= window
    body = response.json()
    assert "try again in" in body["error"]
    assert body["retry_after"] == int(seconds)


def test_a_burst_gets_exactly_the_limit_across_4_workers(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT="3/minute")
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda n: post(server.url, f"burst {n}"), range(24)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [201] * 3 + [429] * 21
    for response in answers:
        if response.status_code == 429:
            assert_too_many(response, 60)
    assert len(stored(comments_file)) == 3
    # Reading is never limited, however often a page polls.
    with requests.Session() as session:
        for _ in range(40):
            assert session.get(server.url + "/api/comments", timeout=10).status_code == 200


def change(url: str, method: str, number: int, **kwargs) -> requests.Response:
    """Edit (PATCH) or delete (DELETE) comment number, each on a connection of its own."""
    return requests.request(method, f"{url}/api/comments/{number}", timeout=30, **kwargs)


def test_authors_edits_and_deletes_count_with_new_comments_a_moderators_do_not(start_server, comments_file):
    moderator = ("mod", "mod-secret")
    server = start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_RATE_LIMIT="3/minute",
        COMMENTS_ADMIN_USERS=f"mod:{generate_password_hash(moderator[1])}",
    )
    # Reading never counts, however often.
    for _ in range(10):
        assert requests.get(server.url + "/api/comments", timeout=10).status_code == 200
    first = post(server.url, "first")
    assert first.status_code == 201
    token = {"Comment-Token": first.headers["Comment-Token"]}
    assert change(server.url, "PATCH", 1, json={"text": "first, edited"}, headers=token).status_code == 200
    assert post(server.url, "second").status_code == 201
    # The fourth write, whatever it is, is refused and changes nothing.
    for refused in (
        change(server.url, "DELETE", 1, headers=token),
        change(server.url, "PATCH", 1, json={"text": "again"}, headers=token),
        post(server.url, "third"),
    ):
        assert_too_many(refused, 60)
        assert "too many comments and changes" in refused.json()["error"]
    assert [c["text"] for c in stored(comments_file)] == ["first, edited", "second"]
    # A moderator moderating is not limited, from the same address, past the limit.
    for number in range(4):
        hidden = "hidden" if number % 2 == 0 else "published"
        answer = change(server.url, "PATCH", 2, json={"status": hidden}, auth=moderator)
        assert answer.status_code == 200, answer.text
    assert change(server.url, "DELETE", 1, auth=moderator).status_code == 204
    assert requests.get(server.url + "/api/comments", timeout=10).status_code == 200


def test_the_default_limit_is_on(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT=None)
    per_minute = int(config.DEFAULT_RATE_LIMIT.split("/")[0])
    statuses = [post(server.url, f"n {n}").status_code for n in range(per_minute + 2)]
    assert statuses == [201] * per_minute + [429, 429]


def test_off_turns_the_limit_off(start_server, comments_file):
    server = start_server(workers=2, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT="off")
    assert [post(server.url, f"n {n}").status_code for n in range(12)] == [201] * 12


def test_x_forwarded_for_is_ignored_without_trusted_proxies(start_server, comments_file):
    server = start_server(workers=4, COMMENTS_FILE=str(comments_file), COMMENTS_RATE_LIMIT="2/minute")
    statuses = [
        post(server.url, f"n {n}", {"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(4)
    ]
    assert statuses == [201, 201, 429, 429]


def test_trusted_proxy_hops_name_the_client(start_server, comments_file):
    server = start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_RATE_LIMIT="2/minute",
        COMMENTS_TRUSTED_PROXIES="1",
    )
    # The proxy appends the address it saw; what the client wrote before it is not trusted.
    others = [
        post(server.url, f"n {n}", {"X-Forwarded-For": f"6.6.6.6, 198.51.100.{n}"}).status_code
        for n in range(4)
    ]
    assert others == [201] * 4
    same = [
        post(server.url, f"s {n}", {"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.5"}).status_code
        for n in range(3)
    ]
    assert same == [201, 201, 429]


def test_two_instances_share_the_limit_through_redis(start_server, tmp_path, redis_server):
    shared = {"COMMENTS_RATE_LIMIT": "4/minute", "REDIS_URL": redis_server.url}
    first = start_server(workers=4, COMMENTS_FILE=str(tmp_path / "a.json"), **shared)
    second = start_server(workers=2, COMMENTS_FILE=str(tmp_path / "b.json"), **shared)
    statuses = [post(server.url, f"n {n}").status_code for n in range(5) for server in (first, second)]
    assert sorted(statuses) == [201] * 4 + [429] * 6
    assert len(stored(tmp_path / "a.json")) + len(stored(tmp_path / "b.json")) == 4


def test_redis_killed_mid_run_falls_back_to_the_instance_and_comes_back(
    start_server, comments_file, redis_server
):
    server = start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_RATE_LIMIT="3/minute",
        REDIS_URL=redis_server.url,
    )
    assert [post(server.url, f"a {n}").status_code for n in range(4)] == [201, 201, 201, 429]

    redis_server.kill()
    # Counting moves to this instance (fresh counts there), exactly, and nothing answers 5xx.
    assert [post(server.url, f"b {n}").status_code for n in range(4)] == [201, 201, 201, 429]
    assert "Redis at redis://127.0.0.1" in server.output()
    assert "failed" in server.output()
    assert len(stored(comments_file)) == 6

    redis_server.start()
    deadline = time.monotonic() + 60
    while "is back: limits are shared" not in server.output():
        assert time.monotonic() < deadline, server.output()
        assert post(server.url, "again").status_code in (201, 429)
        time.sleep(0.3)
    keys = redis.Redis.from_url(redis_server.url).keys("comments-limits*")
    assert keys, "the limits are counted in Redis again"


# Login throttling. An expensive hash makes the cost of one check stand out.
# (scrypt with N=2**17: about 0.3 s of CPU, four times the default's cost.)
SLOW_HASH = generate_password_hash("right", "scrypt:131072:8:1")


def worker_cpu_seconds(server) -> float:
    """CPU time used so far by the server's worker processes, as the kernel counts it."""
    master = server.process.pid
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def login(url: str, user: str, password: str, client: str = "") -> requests.Response:
    headers = {"X-Forwarded-For": client} if client else {}
    return requests.get(url + "/api/comments", auth=(user, password), headers=headers, timeout=30)


@pytest.fixture
def guarded(start_server, comments_file):
    return start_server(
        workers=4,
        COMMENTS_FILE=str(comments_file),
        COMMENTS_AUTH_USERS=f"alice:{SLOW_HASH}",
        COMMENTS_LOGIN_LIMIT="3/minute",
        COMMENTS_TRUSTED_PROXIES="1",
    )


def test_failed_logins_are_throttled_per_client_without_hashing(guarded):
    attacker = "198.51.100.66"
    before = worker_cpu_seconds(guarded)
    assert [login(guarded.url, "alice", "wrong", attacker).status_code for _ in range(3)] == [401] * 3
    three_hashes = worker_cpu_seconds(guarded) - before

    before = worker_cpu_seconds(guarded)
    throttled = [login(guarded.url, user, "wrong", attacker) for user in ("alice", "nobody") * 15]
    thirty_throttled = worker_cpu_seconds(guarded) - before
    for response in throttled:
        assert_too_many(response, 60)
        assert "failed logins" in response.json()["error"]
    # Thirty hashes would cost ten times three; thirty refusals cost less than three hashes.
    assert thirty_throttled < three_hashes, (thirty_throttled, three_hashes)

    # The right password does not help the throttled client; other clients log in.
    assert login(guarded.url, "alice", "right", attacker).status_code == 429
    assert login(guarded.url, "alice", "right", "203.0.113.7").status_code == 200


def test_right_passwords_do_not_count_as_failures(guarded):
    statuses = [login(guarded.url, "alice", "right", "203.0.113.8").status_code for _ in range(6)]
    assert statuses == [200] * 6


def test_an_unknown_name_costs_what_a_known_one_does(guarded):
    # Each worker's first requests cost more (imports, connections): not what is measured.
    for n in range(8):
        user = ("alice", "mallory")[n % 2]
        assert login(guarded.url, user, "wrong", f"198.51.100.{n + 20}").status_code == 401
    spent = {"alice": 0.0, "mallory": 0.0}
    for n in range(8):
        user = ("alice", "mallory")[n % 2]
        before = worker_cpu_seconds(guarded)
        assert login(guarded.url, user, "wrong", f"198.51.100.{n}").status_code == 401
        spent[user] += worker_cpu_seconds(guarded) - before
    known, unknown = spent["alice"], spent["mallory"]
    assert known / 1.5 < unknown < known * 1.5, (known, unknown)


def test_a_broken_limits_file_lets_comments_and_logins_through(tmp_path):
    from comments_app import create_app

    app = create_app(
        {
            "COMMENTS_FILE": str(tmp_path / "c.json"),
            "COMMENTS_LIMITS_FILE": str(tmp_path / "missing-folder" / "limits.sqlite3"),
            "COMMENTS_RATE_LIMIT": "1/minute",
            "COMMENTS_AUTH_USERS": f"alice:{generate_password_hash('right')}",
            "COMMENTS_AUTH_SCOPE": "write",
        }
    )
    client = app.test_client()

    def post(text: str, password: str) -> int:
        return client.post(
            "/api/comments", json={"author": "a", "text": text}, auth=("alice", password)
        ).status_code

    assert [post(f"t{n}", "right") for n in range(3)] == [201, 201, 201]
    assert post("x", "no") == 401


@pytest.mark.outside_contract
def test_reads_are_never_counted_but_an_embedding_apps_own_limits_still_hold(tmp_path):
    from comments_app import create_app

    own = create_app({"COMMENTS_FILE": str(tmp_path / "own.json"), "COMMENTS_RATE_LIMIT": "2/minute"})
    client = own.test_client()
    assert {client.get("/api/comments").status_code for _ in range(5)} == {200}
    embedded = create_app({"COMMENTS_FILE": str(tmp_path / "c.json"), "RATELIMIT_APPLICATION": "2/minute"})
    client = embedded.test_client()
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]
