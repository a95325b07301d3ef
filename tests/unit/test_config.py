"""Bad settings stop the app with a message naming the setting."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from comments_app import config, create_app
from comments_app.state import app_state

HASH = generate_password_hash("pw")


@pytest.mark.parametrize(
    ("settings", "name", "words"),
    [
        ({"COMMENTS_AUTH_USERS": "alice"}, "COMMENTS_AUTH_USERS", "no password hash"),
        ({"COMMENTS_AUTH_USERS": "alice:"}, "COMMENTS_AUTH_USERS", "is empty"),
        ({"COMMENTS_AUTH_USERS": f":{HASH}"}, "COMMENTS_AUTH_USERS", "empty user"),
        ({"COMMENTS_AUTH_USERS": "alice:plain-password"}, "COMMENTS_AUTH_USERS", "not a werkzeug"),
        ({"COMMENTS_AUTH_USERS": "alice:md5$salt$hash"}, "COMMENTS_AUTH_USERS", "unknown hash method"),
        (
            {"COMMENTS_AUTH_USERS": "alice:pbkdf2:nope:1000$salt$hash"},
            "COMMENTS_AUTH_USERS",
            "unknown pbkdf2",
        ),
        ({"COMMENTS_AUTH_USERS": f"alice:{HASH},alice:{HASH}"}, "COMMENTS_AUTH_USERS", "twice"),
        ({"COMMENTS_AUTH_SCOPE": "read"}, "COMMENTS_AUTH_SCOPE", "one of all, write"),
        ({"MAX_CONTENT_LENGTH": "64k"}, "MAX_CONTENT_LENGTH", "whole number from 1024"),
        ({"MAX_CONTENT_LENGTH": "-5"}, "MAX_CONTENT_LENGTH", "whole number from 1024"),
        ({"COMMENTS_CORS_ORIGINS": "localhost:5173"}, "COMMENTS_CORS_ORIGINS", "not an origin"),
        ({"COMMENTS_CORS_ORIGINS": "https://a.example/path"}, "COMMENTS_CORS_ORIGINS", "not an origin"),
        ({"COMMENTS_CORS_ORIGINS": "*, https://a.example"}, "COMMENTS_CORS_ORIGINS", "* alone"),
        ({"COMMENTS_FRAME_ANCESTORS": "blog.example"}, "COMMENTS_FRAME_ANCESTORS", "not an origin"),
        ({"COMMENTS_FRAME_ANCESTORS": "*"}, "COMMENTS_FRAME_ANCESTORS", "not an origin"),
        ({"COMMENTS_FRAME_ANCESTORS": "'self'"}, "COMMENTS_FRAME_ANCESTORS", "not an origin"),
        (
            {"COMMENTS_FRAME_ANCESTORS": "https://a.example; script-src *"},
            "COMMENTS_FRAME_ANCESTORS",
            "not an origin",
        ),
        (
            {"COMMENTS_FRAME_ANCESTORS": "https://a.example https://b.example"},
            "COMMENTS_FRAME_ANCESTORS",
            "not an origin",
        ),
        ({"COMMENTS_FILE": "  "}, "COMMENTS_FILE", "must name a file"),
        ({"DATABASE_URL": "mysql://u:hunter2@db/x"}, "DATABASE_URL", "postgres://"),
        ({"COMMENTS_DB_TIMEOUT": "soon"}, "COMMENTS_DB_TIMEOUT", "a number"),
        ({"COMMENTS_RATE_LIMIT": "lots"}, "COMMENTS_RATE_LIMIT", "limits like 5/minute"),
        ({"COMMENTS_RATE_LIMIT": "5 per fortnight"}, "COMMENTS_RATE_LIMIT", "limits like 5/minute"),
        ({"COMMENTS_RATE_LIMIT": ""}, "COMMENTS_RATE_LIMIT", "or off"),
        ({"COMMENTS_LOGIN_LIMIT": "5/eon"}, "COMMENTS_LOGIN_LIMIT", "limits like 5/minute"),
        ({"REDIS_URL": "http://u:hunter2@cache:6379"}, "REDIS_URL", "redis://"),
        ({"COMMENTS_MAX_LINKS": "-1"}, "COMMENTS_MAX_LINKS", "whole number"),
        ({"COMMENTS_MAX_LINKS": "three"}, "COMMENTS_MAX_LINKS", "whole number"),
        ({"COMMENTS_TRUSTED_PROXIES": "-1"}, "COMMENTS_TRUSTED_PROXIES", "whole number"),
        ({"COMMENTS_TRUSTED_PROXIES": "1.5"}, "COMMENTS_TRUSTED_PROXIES", "whole number"),
        ({"COMMENTS_TRUSTED_PROXIES": "yes"}, "COMMENTS_TRUSTED_PROXIES", "whole number"),
        ({"COMMENTS_TRUSTED_PROXIES": "\u0661"}, "COMMENTS_TRUSTED_PROXIES", "whole number"),
        ({"COMMENTS_TRUSTED_PROXIES": "11"}, "COMMENTS_TRUSTED_PROXIES", "from 0 to 10"),
        ({"COMMENTS_ADMIN_USERS": "mod"}, "COMMENTS_ADMIN_USERS", "no password hash"),
        ({"COMMENTS_ADMIN_USERS": "mod:plain"}, "COMMENTS_ADMIN_USERS", "not a werkzeug"),
        ({"COMMENTS_ADMIN_USERS": f"m:{HASH},m:{HASH}"}, "COMMENTS_ADMIN_USERS", "twice"),
        ({"COMMENTS_MODERATION": "post"}, "COMMENTS_MODERATION", "one of off, pre"),
        ({"COMMENTS_EDIT_WINDOW": "15m"}, "COMMENTS_EDIT_WINDOW", "whole number"),
        ({"COMMENTS_EDIT_WINDOW": "-1"}, "COMMENTS_EDIT_WINDOW", "whole number"),
        ({"COMMENTS_EDIT_WINDOW": "9999999"}, "COMMENTS_EDIT_WINDOW", "from 0 to 604800"),
        ({"COMMENTS_SECRET_KEY": "hunter2"}, "COMMENTS_SECRET_KEY", "at least 16"),
        ({"COMMENTS_BACKUP_EVERY": "0"}, "COMMENTS_BACKUP_EVERY", "number of hours"),
        ({"COMMENTS_BACKUP_EVERY": "-24"}, "COMMENTS_BACKUP_EVERY", "number of hours"),
        ({"COMMENTS_BACKUP_EVERY": "daily"}, "COMMENTS_BACKUP_EVERY", "number of hours"),
        ({"COMMENTS_BACKUP_EVERY": "nan"}, "COMMENTS_BACKUP_EVERY", "number of hours"),
        ({"COMMENTS_BACKUP_EVERY": "0.0001"}, "COMMENTS_BACKUP_EVERY", "(a second)"),
        ({"COMMENTS_BACKUP_EVERY": "9000"}, "COMMENTS_BACKUP_EVERY", "8760 (a year)"),
        ({"COMMENTS_BACKUP_KEEP": "0"}, "COMMENTS_BACKUP_KEEP", "whole number from 1"),
        ({"COMMENTS_BACKUP_KEEP": "ten"}, "COMMENTS_BACKUP_KEEP", "whole number from 1"),
        ({"COMMENTS_BACKUP_KEEP": "2.5"}, "COMMENTS_BACKUP_KEEP", "whole number from 1"),
    ],
)
def test_bad_setting_names_itself(tmp_path, settings, name, words):
    with pytest.raises(config.ConfigError) as caught:
        create_app({"COMMENTS_FILE": str(tmp_path / "c.json"), **settings})
    assert caught.value.name == name
    assert str(caught.value).startswith(f"{name}: ")
    assert words in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_folder_as_comments_file_is_refused(tmp_path):
    with pytest.raises(config.ConfigError, match=r"COMMENTS_FILE: .* is a folder"):
        create_app({"COMMENTS_FILE": str(tmp_path)})


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMENTS_FILE", str(tmp_path / "env.json"))
    monkeypatch.setenv("COMMENTS_AUTH_USERS", f"alice:{HASH}, bob:{HASH}")
    monkeypatch.setenv("COMMENTS_AUTH_SCOPE", "WRITE")
    settings = app_state(create_app()).settings
    assert settings.file == tmp_path / "env.json"
    assert settings.auth_users == {"alice": HASH, "bob": HASH}
    assert settings.auth_scope == "write"


def test_moderation_settings_default_and_parse(tmp_path, monkeypatch):
    settings = app_state(create_app({"COMMENTS_FILE": str(tmp_path / "c.json")})).settings
    assert (settings.moderation, settings.edit_window, settings.secret_key) == ("off", 900, None)
    assert settings.admin_users == {}
    monkeypatch.setenv("COMMENTS_ADMIN_USERS", f"mod:{HASH}")
    monkeypatch.setenv("COMMENTS_MODERATION", "PRE")
    monkeypatch.setenv("COMMENTS_EDIT_WINDOW", "60")
    monkeypatch.setenv("COMMENTS_SECRET_KEY", "0123456789abcdef")
    settings = app_state(create_app({"COMMENTS_FILE": str(tmp_path / "c.json")})).settings
    assert settings.admin_users == {"mod": HASH}
    assert (settings.moderation, settings.edit_window) == ("pre", 60)
    assert settings.secret_key == b"0123456789abcdef"


def test_limit_settings_parse(tmp_path):
    app = create_app(
        {
            "COMMENTS_FILE": str(tmp_path / "c.json"),
            "COMMENTS_RATE_LIMIT": " 10/minute;100/day ",
            "COMMENTS_LOGIN_LIMIT": "OFF",
            "REDIS_URL": "rediss://:pw@cache.example:6380/0",
            "COMMENTS_MAX_LINKS": "0",
        }
    )
    settings = app_state(app).settings
    assert settings.rate_limit == "10/minute;100/day"
    assert settings.login_limit == ""
    assert settings.redis_url == "rediss://:pw@cache.example:6380/0"
    assert settings.max_links == 0
    assert settings.limits_file == tmp_path / "c.limits.sqlite3"


def test_settings_are_one_frozen_value_port_and_workers_included(tmp_path):
    import dataclasses

    settings = config.load(
        {"COMMENTS_FILE": str(tmp_path / "c.json"), "PORT": "8080", "WEB_CONCURRENCY": "3"}
    )
    assert (settings.port, settings.web_concurrency, settings.client_timeout) == (8080, 3, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.auth_users["eve"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("folder", "words"),
    [("a-file", "is not a folder"), ("unmounted/backups", "does not exist (a volume not mounted")],
)
def test_a_backup_folder_that_cannot_be_one_is_refused(tmp_path, folder, words):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(config.ConfigError) as caught:
        create_app({"COMMENTS_FILE": str(tmp_path / "c.json"), "COMMENTS_BACKUP_DIR": str(tmp_path / folder)})
    assert caught.value.name == "COMMENTS_BACKUP_DIR"
    assert words in str(caught.value)
    assert not (tmp_path / "unmounted").exists()


def test_backup_settings_default_and_parse(tmp_path):
    settings = app_state(create_app({"COMMENTS_FILE": str(tmp_path / "c.json")})).settings
    assert (settings.backup_dir, settings.backup_every, settings.backup_keep) == (None, 24 * 3600, 10)
    settings = config.load(
        {
            "COMMENTS_FILE": str(tmp_path / "c.json"),
            "COMMENTS_BACKUP_DIR": f" {tmp_path / 'backups'} ",
            "COMMENTS_BACKUP_EVERY": "0.5",
            "COMMENTS_BACKUP_KEEP": "3",
        }
    )
    assert (settings.backup_dir, settings.backup_every, settings.backup_keep) == (
        tmp_path / "backups",
        1800,
        3,
    )
    # Made at start-up, for its owner only: backups hold hidden and pending comments.
    assert (tmp_path / "backups").is_dir()
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("smtp://u:hunter2@mail.example:99999", "the port must be 1 to 65535"),
        ("smtp://u:hunter2@mail.example:0", "the port must be 1 to 65535"),
        ("smtps://u:hunter2@mail.example:65536", "the port must be 1 to 65535"),
        ("smtp://u:hunter2@mail.example:25x", "the port is not a number"),
    ],
)
def test_an_smtp_port_out_of_range_is_refused(url, words):
    with pytest.raises(config.ConfigError) as caught:
        config.parse_smtp_url(url)
    assert caught.value.name == "COMMENTS_SMTP_URL"
    assert words in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_an_smtp_port_is_kept_or_defaults_by_scheme():
    assert config.parse_smtp_url("smtp://mail.example:65535").port == 65535
    assert config.parse_smtp_url("smtp://mail.example:1").port == 1
    assert config.parse_smtp_url("smtp://mail.example").port == 587
    assert config.parse_smtp_url("smtps://mail.example").port == 465
