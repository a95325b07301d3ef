"""The `flask --app wsgi …` commands: one line for a wrong setting or input, never a traceback."""

from __future__ import annotations

import json

import pytest
from werkzeug.security import check_password_hash

from ..conftest import flask_cli

# Runs the flask command line in processes of its own: not in make test-fast.
pytestmark = pytest.mark.commands

BAD_SETTINGS = [
    ({"COMMENTS_AUTH_USERS": "alice"}, "COMMENTS_AUTH_USERS"),
    ({"COMMENTS_AUTH_USERS": "alice:plain-password"}, "COMMENTS_AUTH_USERS"),
    ({"COMMENTS_AUTH_SCOPE": "everything"}, "COMMENTS_AUTH_SCOPE"),
    ({"COMMENTS_CORS_ORIGINS": "localhost:5173"}, "COMMENTS_CORS_ORIGINS"),
    ({"COMMENTS_DB_TIMEOUT": "soon"}, "COMMENTS_DB_TIMEOUT"),
    ({"DATABASE_URL": "mysql://u:hunter2@db/x"}, "DATABASE_URL"),
    ({"COMMENTS_FILE": "/no/such/folder/comments.json"}, "COMMENTS_FILE"),
]


def assert_one_line(result, starts: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(starts), result.stderr


@pytest.mark.parametrize(("settings", "name"), BAD_SETTINGS)
@pytest.mark.parametrize("command", [["init-db"], ["import-json"], ["export-json", "x.json"]])
def test_a_wrong_setting_is_one_line_naming_it(tmp_path, command, settings, name):
    result = flask_cli(*command, **{"COMMENTS_FILE": str(tmp_path / "c.json"), **settings})
    assert_one_line(result, f"Configuration error: {name}: ")
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(("settings", "name"), BAD_SETTINGS)
def test_hash_password_works_whatever_the_settings_say(settings, name):
    result = flask_cli("hash-password", input="s3cret\ns3cret\n", **settings)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert check_password_hash(result.stdout.strip().splitlines()[-1], "s3cret")


def test_help_lists_the_commands_despite_a_wrong_setting():
    result = flask_cli("--help", COMMENTS_AUTH_USERS="alice")
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    for command in ("hash-password", "init-db", "import-json", "export-json"):
        assert command in result.stdout


def test_an_unreachable_database_is_one_line(tmp_path):
    from ..conftest import free_port

    url = f"postgresql://u:hunter2@127.0.0.1:{free_port()}/db"
    result = flask_cli("init-db", DATABASE_URL=url, COMMENTS_DB_TIMEOUT="1")
    assert_one_line(result, "Error: comments database is unavailable")
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"id": 1, "author": "a", "text": "b"},\n', "not valid JSON (Expecting value at line 2"),
        (b'{"comments": []}', "not a JSON array"),
        (b'[{"author": "a", "text": "b"}]', "item 0 has no whole-number id from 1 up"),
        (b'[{"id": 1, "author": "a", "text": "b"}, {"id": 1, "author": "c", "text": "d"}]', "item 1 repeats"),
        (b'[{"id": 1, "author": "a", "text": "b", "status": "secret"}]', "unknown status 'secret'"),
        (b'[{"id": 1, "author": "a", "text": "b", "created": "yesterday"}]', "not an ISO 8601 time"),
        (b'[{"id": 1, "author": "a"}]', "has no text string"),
    ],
)
def test_a_bad_import_file_is_one_line_and_imports_nothing(tmp_path, content, message):
    assert_import_refused(tmp_path, content, message)


def assert_import_refused(tmp_path, content: bytes, message: str):
    """Import content: one line saying message, nothing imported; return the result."""
    source = tmp_path / "backup.json"
    source.write_bytes(content)
    store = tmp_path / "comments.json"
    result = flask_cli("import-json", str(source), COMMENTS_FILE=str(store))
    assert_one_line(result, f"Error: {source}: ")
    assert message in result.stderr
    assert result.stderr.strip().endswith("nothing was imported")
    assert not store.exists()
    return result


def test_not_valid_json_names_the_line(tmp_path):
    source = tmp_path / "backup.json"
    source.write_bytes(b'[\n{"id": 1, "author": "a", "text": "b"},\n{"id": 2,\n]\n')
    result = flask_cli("import-json", str(source), COMMENTS_FILE=str(tmp_path / "c.json"))
    assert "not valid JSON" in result.stderr and "at line 4" in result.stderr


@pytest.mark.parametrize("name", ["missing.json", "."])
def test_an_import_file_that_cannot_be_read_is_one_line(tmp_path, name):
    result = flask_cli("import-json", str(tmp_path / name), COMMENTS_FILE=str(tmp_path / "c.json"))
    assert_one_line(result, f"Error: cannot read {tmp_path / name}: ")


def test_an_export_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path):
    result = flask_cli("export-json", str(tmp_path / "no" / "b.json"), COMMENTS_FILE=str(tmp_path / "c.json"))
    assert_one_line(result, f"Error: cannot write {tmp_path / 'no' / 'b.json'}: No such file or directory")
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_store_is_one_line_naming_the_file(tmp_path):
    store = tmp_path / "comments.json"
    store.write_bytes(b"[{")
    result = flask_cli("export-json", COMMENTS_FILE=str(store))
    assert_one_line(result, f"Error: comments store {store} cannot be read: not valid JSON")


def test_export_replaces_a_file_whole_and_leaves_no_temporary_file(tmp_path):
    store = tmp_path / "comments.json"
    store.write_text('[{"id": 1, "author": "a", "text": "b"}]')
    backup = tmp_path / "backup.json"
    backup.write_text("an older, longer backup " * 100)
    result = flask_cli("export-json", str(backup), COMMENTS_FILE=str(store))
    assert result.returncode == 0, result.stderr
    assert backup.read_bytes() == b'[\n{"id": 1, "author": "a", "text": "b"}\n]\n'
    assert not [p.name for p in tmp_path.iterdir() if "backup" in p.name and p.name != "backup.json"]


def one_item(**fields) -> bytes:
    return json.dumps([{"id": 1, "author": "a", "text": "b", **fields}]).encode()


# Issue 24, item 9: what import-json let in (or printed a traceback for), one item at a time.
BAD_ITEMS = [
    (one_item(id=2**63 - 1), "item 0 has the id 9223372036854775807: the largest an import may"),
    (one_item(id=2**63), "item 0 has the id 9223372036854775808: the largest an import may"),
    (
        b'[{"id": 1, "author": "\\ud800", "text": "b"}]',
        "item 0: author contains control characters or invalid",
    ),
    (
        b'[{"id": 1, "author": "a", "text": "x\\udfffy"}]',
        "item 0: text contains control characters or invalid",
    ),
    (one_item(created="9999-12-31T23:00:00-05:00"), "item 0 has a created past the year 9999 in UTC"),
    (one_item(edited="0001-01-01T00:00:00+05:00"), "item 0 has an edited before the year 1 in UTC"),
    (one_item(created="10000-01-01T00:00:00Z"), "item 0 has a created past the year 9999"),
    (b'[{"id": 1, "author": "a", "text": "b", "created": "\\ud800"}]', r"not an ISO 8601 time: '\ud800'"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON (arrays or objects nested too deeply)"),
    (one_item(author="Ad\u202enim"), "item 0: author contains an invisible formatting character (U+202E"),
    (one_item(author="Admin\u3164"), "item 0: author contains an invisible character (U+1160"),
    (one_item(author=" "), "item 0: author must not be empty"),
    (one_item(text="x" * 3_000_000), "item 0: text is 3,000,000 characters long; the limit is 10,000"),
    (
        one_item(author="a", text="b", status="x" * 1000),
        "unknown status 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (one of",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_ITEMS, ids=range(len(BAD_ITEMS)))
def test_an_import_is_checked_as_the_api_checks_a_new_comment(tmp_path, content, message):
    result = assert_import_refused(tmp_path, content, message)
    assert len(result.stderr) < 500


def test_every_bad_item_of_an_import_is_named_on_a_line_of_its_own(tmp_path):
    items = [{"id": n, "author": f"a{n}", "text": "fine"} for n in range(1, 51)]
    items[3]["author"] = "Admin\u200b"
    items[7]["text"] = ""
    items[8] = {"id": 3, "author": "again", "text": "an id twice"}
    items[9]["created"] = "yesterday"
    items[9]["status"] = "secret"
    source = tmp_path / "backup.json"
    source.write_text(json.dumps(items))
    store = tmp_path / "comments.json"
    result = flask_cli("import-json", str(source), COMMENTS_FILE=str(store))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"Error: {source}: 4 items are refused; nothing was imported",
        "  item 3: author contains an invisible formatting character (U+200B ZERO WIDTH SPACE)",
        "  item 7: text must not be empty",
        "  item 8 repeats the id 3",
        "  item 9 has a created that is not an ISO 8601 time: 'yesterday'",
    ]
    assert not store.exists()


def test_a_long_list_of_bad_items_names_the_first_twenty(tmp_path):
    source = tmp_path / "backup.json"
    source.write_text(json.dumps([{"id": n, "author": "", "text": "t"} for n in range(1, 1001)]))
    result = flask_cli("import-json", str(source), COMMENTS_FILE=str(tmp_path / "comments.json"))
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: {source}: 1,000 items are refused; nothing was imported"
    assert lines[1:3] == ["  item 0: author must not be empty", "  item 1: author must not be empty"]
    assert lines[20:] == ["  item 19: author must not be empty", "  and 980 more"]


def test_an_import_stores_names_and_texts_as_the_api_would(tmp_path):
    source = tmp_path / "backup.json"
    source.write_text(json.dumps([{"id": 5, "author": " Ａｄｍｉｎ\u00a0", "text": "  hi\n"}]))
    store = tmp_path / "comments.json"
    result = flask_cli("import-json", str(source), COMMENTS_FILE=str(store))
    assert result.returncode == 0, result.stderr
    assert json.loads(store.read_bytes()) == [{"id": 5, "author": "Admin", "text": "hi"}]
