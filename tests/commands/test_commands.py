"""The `flask --app wsgi …` commands: one line for a wrong setting or input, never a traceback."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from ..conftest import flask_cli

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
    source = tmp_path / "backup.json"
    source.write_bytes(content)
    store = tmp_path / "comments.json"
    result = flask_cli("import-json", str(source), COMMENTS_FILE=str(store))
    assert_one_line(result, f"Error: {source}: ")
    assert message in result.stderr
    assert result.stderr.strip().endswith("nothing was imported")
    assert not store.exists()


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
