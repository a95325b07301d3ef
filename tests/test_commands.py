"""The `flask --app wsgi …` commands: one line for a wrong setting or input, never a traceback."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from .conftest import flask_cli

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
@pytest.mark.parametrize("command", [["init-db"], ["import-json"], ["import-json", "x.json"]])
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
    for command in ("hash-password", "init-db", "import-json"):
        assert command in result.stdout


def test_an_unreachable_database_is_one_line(tmp_path):
    from .conftest import free_port

    url = f"postgresql://u:hunter2@127.0.0.1:{free_port()}/db"
    result = flask_cli("init-db", DATABASE_URL=url, COMMENTS_DB_TIMEOUT="1")
    assert_one_line(result, "Error: comments database is unavailable")
    assert "hunter2" not in result.stderr
