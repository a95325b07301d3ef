"""Read the settings from the environment and check them before anything starts."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from .addresses import email_problem

# Where the JSON store lives unless COMMENTS_FILE says otherwise: the project root,
# found from this file rather than from the process's working directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

AUTH_SCOPES = ("all", "write")
MODERATION_MODES = ("off", "pre")
SWITCH = ("on", "off")
# A secret shorter than this is too easy to guess for signing tokens.
SECRET_KEY_MIN = 16
WEEK = 7 * 24 * 3600
# The largest request body MAX_CONTENT_LENGTH may allow: a comment needs far less.
MAX_BODY = 16 * 1024 * 1024

# Posts per client: a person replying to a few comments in a row stays under 5 a
# minute; a script does not. Counted per address, so people behind one shared
# address (an office, a mobile carrier's NAT) share it: 50 an hour leaves room.
DEFAULT_RATE_LIMIT = "5/minute;50/hour"
# Failed Basic logins per client before it is refused without checking a password.
DEFAULT_LOGIN_LIMIT = "5/minute;20/hour"
# COMMENTS_BACKUP_EVERY, in hours: backups are named to the second, so at least a
# second apart (a fraction of an hour is fine: tests use seconds), at most a year.
BACKUP_EVERY_MIN = 1 / 3600
BACKUP_EVERY_MAX = 365 * 24
BACKUP_KEEP_MAX = 10_000
# The most open event streams a worker may be set to hold (each one a connection).
STREAMS_MAX = 50_000


class ConfigError(Exception):
    """A setting has a value the app cannot start with."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    """Every setting, parsed and checked once at start-up; read as settings.edit_window."""

    port: int
    web_concurrency: int
    client_timeout: int
    file: Path
    public_folder: Path
    max_body: int
    database_url: str
    db_timeout: float
    auth_users: Mapping[str, str]
    auth_scope: str
    admin_users: Mapping[str, str]
    moderation: str
    edit_window: int
    secret_key: bytes | None
    cors_origins: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    frame_ancestors: tuple[str, ...]
    # The sites whose pages may embed the comment box (embed.js, /embed: web/pages.py).
    embed_origins: tuple[str, ...]
    trusted_proxies: int
    rate_limit: str
    login_limit: str
    limits_file: Path
    redis_url: str
    max_links: int
    dyno: str
    access_log: bool
    # Automatic backups (jobs/backups.py): the folder, None when they are off; how
    # often, in seconds (COMMENTS_BACKUP_EVERY says hours); how many are kept.
    backup_dir: Path | None
    backup_every: float
    backup_keep: int
    # Threads (model/threads.py): whether the site's latest comments are listed, the
    # site's address for links in feeds, and which threads may take comments.
    latest: bool
    site_url: str
    thread_pattern: re.Pattern | None
    # Event streams (web/api/events.py): the most open per worker, per client address,
    # and the seconds between the lines that keep an idle one open.
    stream_limit: int
    stream_limit_per_client: int
    stream_ping: int
    # Notifications (notify/, jobs/notifications.py): the webhook's address ("" when off)
    # and signing key (the bytes of COMMENTS_WEBHOOK_SECRET's base64), the server's own
    # address for links, and the wait before a failed delivery's first retry, in seconds.
    webhook_url: str
    webhook_secret: bytes | None
    public_url: str
    notify_first_retry: float
    # Email (notify/smtp.py and the mail destinations): the SMTP server (None when mail is
    # off), the sender's address, the moderators' addresses, and whether moderators hear of
    # comments held for approval only ("pending") or of every new comment ("all").
    smtp: SmtpServer | None
    mail_from: str
    moderator_emails: tuple[str, ...]
    notify: str

    @property
    def notifies(self) -> bool:
        """Whether the store's writes fill an outbox: something is there to send it to."""
        return bool(self.webhook_url) or self.smtp is not None


@dataclass(frozen=True)
class SmtpServer:
    """Where mail is sent: smtps:// is TLS from the first byte; smtp:// uses STARTTLS when
    the server offers it. The password is never shown (repr included)."""

    secure: bool
    host: str
    port: int
    user: str
    password: str = field(repr=False)


def defaults(environ: Mapping[str, str] = os.environ) -> dict:
    """Return the settings used when the environment says nothing."""
    return {
        # Heroku-style platforms set PORT; locally the comment box's classic port.
        "PORT": "3000",
        "WEB_CONCURRENCY": "2",
        "COMMENTS_FILE": str(PROJECT_ROOT / "comments.json"),
        "COMMENTS_AUTH_USERS": "",
        "COMMENTS_AUTH_SCOPE": "all",
        "COMMENTS_CORS_ORIGINS": "",
        "COMMENTS_ADMIN_USERS": "",
        "COMMENTS_MODERATION": "off",
        "COMMENTS_EDIT_WINDOW": "900",
        "COMMENTS_SECRET_KEY": "",
        "COMMENTS_ALLOWED_HOSTS": "",
        "COMMENTS_FRAME_ANCESTORS": "",
        "COMMENTS_EMBED_ORIGINS": "",
        "DATABASE_URL": "",
        "COMMENTS_DB_TIMEOUT": "3",
        # Heroku (which sets DYNO) puts exactly one router in front of every dyno.
        "COMMENTS_TRUSTED_PROXIES": "1" if environ.get("DYNO") else "0",
        "COMMENTS_CLIENT_TIMEOUT": "5",
        # Heroku's router logs every request already; a second line per request from
        # gunicorn costs a quarter of a GET's server CPU (docs/performance.md).
        "COMMENTS_ACCESS_LOG": "off" if environ.get("DYNO") else "on",
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "COMMENTS_RATE_LIMIT": DEFAULT_RATE_LIMIT,
        "COMMENTS_LOGIN_LIMIT": DEFAULT_LOGIN_LIMIT,
        "COMMENTS_LIMITS_FILE": "",
        "REDIS_URL": "",
        "COMMENTS_MAX_LINKS": "3",
        "COMMENTS_BACKUP_DIR": "",
        "COMMENTS_BACKUP_EVERY": "24",
        "COMMENTS_BACKUP_KEEP": "10",
        # Off: a site with unlisted pages does not want their comments listed.
        "COMMENTS_LATEST": "off",
        "COMMENTS_SITE_URL": "",
        "COMMENTS_THREAD_PATTERN": "",
        "COMMENTS_STREAM_LIMIT": "5000",
        "COMMENTS_STREAM_LIMIT_PER_CLIENT": "20",
        # Under the idle timeouts of routers and proxies (Heroku's: 55 s).
        "COMMENTS_STREAM_PING": "15",
        "COMMENTS_WEBHOOK_URL": "",
        "COMMENTS_WEBHOOK_SECRET": "",
        "COMMENTS_PUBLIC_URL": "",
        "COMMENTS_NOTIFY_FIRST_RETRY": "2",
        "COMMENTS_SMTP_URL": "",
        "COMMENTS_MAIL_FROM": "",
        "COMMENTS_MODERATOR_EMAILS": "",
        "COMMENTS_NOTIFY": "pending",
        # Set by Heroku on every dyno: the disk is ephemeral there.
        "DYNO": "",
    }


def from_env(environ: Mapping[str, str]) -> dict:
    """Return the settings that the environment sets."""
    return {name: environ[name] for name in defaults(environ) if name in environ}


def validate(config: Mapping) -> Settings:
    """Check the raw settings and return them parsed; raise ConfigError naming the bad one."""
    database_url = str(config["DATABASE_URL"]).strip()
    if database_url:
        check_database_url(database_url)
    # The folder must exist only when the file is the store: with DATABASE_URL
    # the file is just import-json's default source.
    comments_file = parse_file(config["COMMENTS_FILE"], in_use=not database_url)
    return Settings(
        port=parse_whole_number("PORT", config["PORT"], 1, 65535),
        web_concurrency=parse_whole_number("WEB_CONCURRENCY", config["WEB_CONCURRENCY"], 1, 64),
        client_timeout=parse_client_timeout(config["COMMENTS_CLIENT_TIMEOUT"]),
        file=comments_file,
        # Not from the environment: tests and embedding apps pass it to create_app.
        public_folder=Path(config.get("PUBLIC_FOLDER", PROJECT_ROOT / "public")),
        max_body=parse_whole_number("MAX_CONTENT_LENGTH", config["MAX_CONTENT_LENGTH"], 1024, MAX_BODY),
        database_url=database_url,
        db_timeout=parse_number("COMMENTS_DB_TIMEOUT", config["COMMENTS_DB_TIMEOUT"], 0.1, 60),
        auth_users=MappingProxyType(parse_auth_users(config["COMMENTS_AUTH_USERS"])),
        auth_scope=parse_choice("COMMENTS_AUTH_SCOPE", config["COMMENTS_AUTH_SCOPE"], AUTH_SCOPES),
        admin_users=MappingProxyType(
            parse_auth_users(config["COMMENTS_ADMIN_USERS"], "COMMENTS_ADMIN_USERS")
        ),
        moderation=parse_choice("COMMENTS_MODERATION", config["COMMENTS_MODERATION"], MODERATION_MODES),
        edit_window=parse_whole_number("COMMENTS_EDIT_WINDOW", config["COMMENTS_EDIT_WINDOW"], 0, WEEK),
        secret_key=parse_secret_key(config["COMMENTS_SECRET_KEY"]),
        cors_origins=parse_origins(config["COMMENTS_CORS_ORIGINS"]),
        allowed_hosts=parse_hosts(config["COMMENTS_ALLOWED_HOSTS"]),
        frame_ancestors=parse_frame_ancestors(config["COMMENTS_FRAME_ANCESTORS"]),
        embed_origins=check_origins("COMMENTS_EMBED_ORIGINS", split_list(config["COMMENTS_EMBED_ORIGINS"])),
        trusted_proxies=parse_count("COMMENTS_TRUSTED_PROXIES", config["COMMENTS_TRUSTED_PROXIES"], 10),
        rate_limit=parse_limits("COMMENTS_RATE_LIMIT", config["COMMENTS_RATE_LIMIT"]),
        login_limit=parse_limits("COMMENTS_LOGIN_LIMIT", config["COMMENTS_LOGIN_LIMIT"]),
        limits_file=parse_limits_file(config["COMMENTS_LIMITS_FILE"], comments_file),
        redis_url=parse_redis_url(config["REDIS_URL"]),
        max_links=parse_count("COMMENTS_MAX_LINKS", config["COMMENTS_MAX_LINKS"], 1000),
        dyno=str(config.get("DYNO", "")).strip(),
        access_log=parse_choice("COMMENTS_ACCESS_LOG", config["COMMENTS_ACCESS_LOG"], SWITCH) == "on",
        backup_dir=parse_backup_dir(config["COMMENTS_BACKUP_DIR"]),
        backup_every=parse_backup_every(config["COMMENTS_BACKUP_EVERY"]),
        backup_keep=parse_whole_number(
            "COMMENTS_BACKUP_KEEP", config["COMMENTS_BACKUP_KEEP"], 1, BACKUP_KEEP_MAX
        ),
        latest=parse_choice("COMMENTS_LATEST", config["COMMENTS_LATEST"], SWITCH) == "on",
        site_url=parse_site_url(config["COMMENTS_SITE_URL"]),
        thread_pattern=parse_thread_pattern(config["COMMENTS_THREAD_PATTERN"]),
        stream_limit=parse_whole_number(
            "COMMENTS_STREAM_LIMIT", config["COMMENTS_STREAM_LIMIT"], 0, STREAMS_MAX
        ),
        stream_limit_per_client=parse_whole_number(
            "COMMENTS_STREAM_LIMIT_PER_CLIENT", config["COMMENTS_STREAM_LIMIT_PER_CLIENT"], 1, STREAMS_MAX
        ),
        stream_ping=parse_whole_number("COMMENTS_STREAM_PING", config["COMMENTS_STREAM_PING"], 1, 50),
        webhook_url=parse_webhook_url(config["COMMENTS_WEBHOOK_URL"]),
        webhook_secret=parse_webhook_secret(
            config["COMMENTS_WEBHOOK_SECRET"], config["COMMENTS_WEBHOOK_URL"]
        ),
        public_url=parse_public_url(config["COMMENTS_PUBLIC_URL"]),
        notify_first_retry=parse_number(
            "COMMENTS_NOTIFY_FIRST_RETRY", config["COMMENTS_NOTIFY_FIRST_RETRY"], 0.1, 3600
        ),
        **parse_mail(config),
    )


def load(environ: Mapping[str, str] = os.environ) -> Settings:
    """Validate the settings a process started with; used by gunicorn before it forks."""
    return validate({**defaults(environ), **from_env(environ)})


def parse_file(value: str | os.PathLike, in_use: bool = True) -> Path:
    """Return the store's absolute path; when it is in use, its folder must exist."""
    text = str(value).strip()
    if not text:
        raise ConfigError("COMMENTS_FILE", "must name a file, for example comments.json")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    if path.is_dir():
        raise ConfigError("COMMENTS_FILE", f"{path} is a folder, not a file")
    # A volume not mounted or a typo in the folder must not start a new, empty
    # store: refuse, and create nothing.
    if in_use and not path.parent.is_dir():
        problem = "is not a folder" if path.parent.exists() else "does not exist"
        raise ConfigError(
            "COMMENTS_FILE",
            f"the folder {path.parent} {problem} (a volume not mounted, or a mistyped path?)",
        )
    return path


def parse_auth_users(value: str | Mapping[str, str], name: str = "COMMENTS_AUTH_USERS") -> dict[str, str]:
    """Parse "user:hash,user:hash" into a dict, checking every hash's shape."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = []
        for item in filter(None, (part.strip() for part in str(value).split(","))):
            user, sep, pw_hash = item.partition(":")
            if not sep:
                raise ConfigError(
                    name,
                    f"entry {user!r} has no password hash; expected user:hash "
                    "(make a hash with: flask --app wsgi hash-password)",
                )
            pairs.append((user.strip(), pw_hash.strip()))
    users: dict[str, str] = {}
    for user, pw_hash in pairs:
        if not user:
            raise ConfigError(name, "an entry has an empty user name")
        if user in users:
            raise ConfigError(name, f"user {user!r} is listed twice")
        problem = hash_problem(pw_hash)
        if problem:
            raise ConfigError(name, f"the hash for {user!r} {problem}")
        users[user] = pw_hash
    return users


def hash_problem(pw_hash: str) -> str | None:
    """Say what is wrong with a werkzeug password hash, or None when it looks usable."""
    if not pw_hash:
        return "is empty (make one with: flask --app wsgi hash-password)"
    method, *rest = pw_hash.split("$")
    if len(rest) != 2 or not all(rest):
        return "is not a werkzeug password hash (method$salt$hash)"
    name, *params = method.split(":")
    if name == "scrypt":
        if len(params) not in (0, 3) or not all(p.isdigit() for p in params):
            return f"has an invalid scrypt method {method!r}"
        return None
    if name == "pbkdf2":
        if not params or params[0] not in hashlib.algorithms_available:
            return f"has an unknown pbkdf2 digest in {method!r}"
        if len(params) > 2 or (len(params) == 2 and not params[1].isdigit()):
            return f"has an invalid pbkdf2 method {method!r}"
        return None
    return f"uses the unknown hash method {name!r} (expected scrypt or pbkdf2)"


def parse_client_timeout(value: str | int) -> int:
    """Parse the seconds a client has to send a request's headers, then its body.

    Whole seconds, because gunicorn's keepalive, which bounds the headers, takes whole seconds.
    """
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 300:
        raise ConfigError(
            "COMMENTS_CLIENT_TIMEOUT", f"must be a whole number of seconds from 1 to 300, not {value!r}"
        )
    return int(text)


def parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ConfigError(name, f"must be one of {', '.join(choices)}, not {value!r}")
    return text


def parse_number(name: str, value: str | float, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(name, f"must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(name, f"must be between {low:g} and {high:g}, not {value!r}")
    return number


def parse_count(name: str, value: str | int, high: int) -> int:
    """Parse a whole number from 0 to high."""
    text = str(value).strip()
    if not text.isdecimal() or not text.isascii() or int(text) > high:
        raise ConfigError(name, f"must be a whole number from 0 to {high}, not {value!r}")
    return int(text)


def parse_whole_number(name: str, value: str | int, low: int, high: int) -> int:
    text = str(value).strip()
    if not text.isdigit() or not text.isascii() or not low <= int(text) <= high:
        raise ConfigError(name, f"must be a whole number from {low} to {high}, not {value!r}")
    return int(text)


def parse_secret_key(value: str) -> bytes | None:
    """Return the key that signs tokens, or None: then each store keeps one of its own."""
    text = str(value).strip()
    if not text:
        return None
    if len(text) < SECRET_KEY_MIN:
        raise ConfigError(
            "COMMENTS_SECRET_KEY",
            f"is {len(text)} characters long; use at least {SECRET_KEY_MIN} random ones "
            "(for example: python3 -c 'import secrets; print(secrets.token_hex(32))')",
        )
    return text.encode()


def parse_origins(value: str) -> tuple[str, ...]:
    """Parse the comma-separated CORS origins; "*" alone allows reading from anywhere."""
    origins = split_list(value)
    if "*" in origins:
        if len(origins) > 1:
            raise ConfigError("COMMENTS_CORS_ORIGINS", "use either * alone or a list of origins")
        return origins
    return check_origins("COMMENTS_CORS_ORIGINS", origins)


def parse_frame_ancestors(value: str) -> tuple[str, ...]:
    """Parse the origins of the sites that may show the page in a frame."""
    return check_origins("COMMENTS_FRAME_ANCESTORS", split_list(value))


def split_list(value: str) -> tuple[str, ...]:
    return tuple(filter(None, (part.strip().rstrip("/") for part in str(value).split(","))))


def check_origins(name: str, origins: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse anything that is not a plain http(s) origin; return each in its normal form.

    No path, pattern, quote or space. HTTPS://Blog.Example:443 is returned as
    https://blog.example, the form a browser's Origin header has, so that a listed origin
    is compared with a request's in one form (normal_origin) wherever it is.
    """
    kept: list[str] = []
    for origin in origins:
        normal = normal_origin(origin)
        if normal is None or any(char in origin for char in "*?\\^$()[]'\";,@ \t\r\n"):
            raise ConfigError(
                name, f"{origin!r} is not an origin like https://example.com or http://localhost:5173"
            )
        kept.append(normal)
    return tuple(dict.fromkeys(kept))


DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_origin(origin: str) -> str | None:
    """Return an http(s) origin as a browser sends it: scheme and host lower case, no default
    port, no trailing slash; None when it is not one (a path, a user, a bad port, "null")."""
    text = origin.strip().removesuffix("/")
    if any(char in text for char in "?#"):
        return None
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if (
        parts.scheme not in DEFAULT_PORTS
        or not host
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or parts.netloc.endswith(":")
    ):
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


HOST_LABELS = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def parse_hosts(value: str) -> tuple[str, ...]:
    """Parse the comma-separated host names ("example.com", ".example.com", or "*" alone)."""
    hosts = [host_entry(part.strip()) for part in str(value).split(",") if part.strip()]
    if "*" in hosts and len(hosts) > 1:
        raise ConfigError("COMMENTS_ALLOWED_HOSTS", "use either * alone or a list of host names")
    return tuple(hosts)


def host_entry(entry: str) -> str:
    """Return one allowed host, lower case and IDNA-encoded, as Flask's TRUSTED_HOSTS matches it."""
    if entry == "*":
        return entry
    if entry.startswith("["):
        raise ConfigError(
            "COMMENTS_ALLOWED_HOSTS",
            f"{entry!r}: IPv6 addresses cannot be listed (Flask's host check cannot match them); use a name",
        )
    dot, name = (".", entry[1:]) if entry.startswith(".") else ("", entry)
    try:
        name = name.lower().encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    if not HOST_LABELS.fullmatch(name) or len(name) > 253:
        raise ConfigError(
            "COMMENTS_ALLOWED_HOSTS",
            f"{entry!r} is not a host name like example.com or .example.com (no scheme, port or path)",
        )
    return dot + name


def check_database_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigError(
            "DATABASE_URL", f"must start with postgres:// or postgresql://, not {parts.scheme}://"
        )
    if not parts.path.strip("/") and not parts.hostname:
        raise ConfigError("DATABASE_URL", "names no host and no database")


def parse_limits(name: str, value: str) -> str:
    """Check limits in Flask-Limiter's notation ("5/minute;50/hour"); "" for "off"."""
    text = str(value).strip()
    if text.lower() == "off":
        return ""
    # Imported here so that reading settings does not load the limiter's dependencies.
    from limits import parse_many

    try:
        parsed = parse_many(text) if text else []
    except ValueError:
        parsed = []
    if not parsed:
        raise ConfigError(
            name, f"must be limits like 5/minute;50/hour (or off to turn them off), not {value!r}"
        )
    return text


def parse_limits_file(value: str | os.PathLike, comments_file: Path) -> Path:
    """Where the instance's counts live: COMMENTS_LIMITS_FILE, or beside the comments file."""
    text = str(value).strip()
    if not text:
        return comments_file.with_name(comments_file.stem + ".limits.sqlite3")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    if path.is_dir():
        raise ConfigError("COMMENTS_LIMITS_FILE", f"{path} is a folder, not a file")
    return path


def parse_site_url(value: str) -> str:
    """Return the site's address without a trailing slash, or "" when it is not set."""
    return parse_address("COMMENTS_SITE_URL", value, "a site's address like https://example.org (no query)")


def parse_address(name: str, value: str, what: str) -> str:
    """Return an http(s) address without a trailing slash, or "" when it is not set;
    refuse one with no host, or with a query or a fragment, saying it is not what."""
    url = str(value).strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(name, f"{url!r} is not {what}")
    return url


def parse_thread_pattern(value: str) -> re.Pattern | None:
    """Compile the pattern a thread must match in full, or None (any page's path)."""
    pattern = str(value).strip()
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ConfigError("COMMENTS_THREAD_PATTERN", f"not a regular expression: {error}") from None


# The backup folders checked in this process, or in the gunicorn master it was forked
# from: a worker booting later (after a crash, a kill) takes the folder as the start
# checked it. A folder that breaks meanwhile (replaced, unmounted) is a failed backup,
# which the job logs and tries again; stopping the worker's boot would stop the service.
_checked_backup_dirs: set[Path] = set()


def parse_backup_dir(value: str | os.PathLike) -> Path | None:
    """Return the folder of the automatic backups, made when missing; None when they are off.

    Like COMMENTS_FILE's folder, its parent must exist: a volume not mounted must not
    send the backups to a folder nobody keeps.
    """
    text = str(value).strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    if path in _checked_backup_dirs:
        return path
    checked_backup_dir(path)
    _checked_backup_dirs.add(path)
    return path


def checked_backup_dir(path: Path) -> None:
    """Make the backup folder if it is missing; raise ConfigError when it cannot be one."""
    if path.is_dir():
        return
    if path.exists():
        raise ConfigError("COMMENTS_BACKUP_DIR", f"{path} is not a folder")
    if not path.parent.is_dir():
        raise ConfigError(
            "COMMENTS_BACKUP_DIR",
            f"the folder {path.parent} does not exist (a volume not mounted, or a mistyped path?)",
        )
    try:
        # Only its owner may read it: backups hold hidden and pending comments too.
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError as error:
        raise ConfigError("COMMENTS_BACKUP_DIR", f"cannot make {path}: {error.strerror or error}") from None


def parse_backup_every(value: str | float) -> float:
    """Return the hours between automatic backups as seconds."""
    try:
        hours = float(str(value).strip())
    except ValueError:
        hours = float("nan")
    # nan and inf compare false here too.
    if not BACKUP_EVERY_MIN <= hours <= BACKUP_EVERY_MAX:
        raise ConfigError(
            "COMMENTS_BACKUP_EVERY",
            f"must be a number of hours from {BACKUP_EVERY_MIN:.6f} (a second) to {BACKUP_EVERY_MAX}"
            f" (a year), for example 24 or 0.5, not {value!r}",
        )
    return hours * 3600


def parse_redis_url(value: str) -> str:
    url = str(value).strip()
    if url and urlsplit(url).scheme not in ("redis", "rediss"):
        scheme = urlsplit(url).scheme or "no scheme"
        raise ConfigError("REDIS_URL", f"must start with redis:// or rediss://, not {scheme}")
    return url


def parse_webhook_url(value: str) -> str:
    """Return the address webhooks are POSTed to, or "" when they are off."""
    url = str(value).strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ConfigError(
            "COMMENTS_WEBHOOK_URL", f"{url!r} is not an http(s) address like https://example.org/hook"
        )
    return url


def parse_webhook_secret(value: str, url: str) -> bytes | None:
    """Return the webhook's signing key: COMMENTS_WEBHOOK_SECRET is whsec_ and base64 (Standard
    Webhooks); required with COMMENTS_WEBHOOK_URL. Never echoed in the message."""
    secret = str(value).strip()
    if not secret:
        if str(url).strip():
            raise ConfigError(
                "COMMENTS_WEBHOOK_SECRET", "must be set with COMMENTS_WEBHOOK_URL (whsec_ and base64)"
            )
        return None
    if not secret.startswith("whsec_"):
        raise ConfigError("COMMENTS_WEBHOOK_SECRET", "must start with whsec_, then the key in base64")
    try:
        encoded = secret.removeprefix("whsec_")
        # Unpadded base64 too, as the standardwebhooks libraries take it.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        raise ConfigError("COMMENTS_WEBHOOK_SECRET", "the part after whsec_ is not base64") from None
    if len(key) < 24:
        raise ConfigError("COMMENTS_WEBHOOK_SECRET", "the key is too short: 24 to 64 random bytes, in base64")
    return key


def parse_public_url(value: str) -> str:
    """Return the comment server's own address as readers reach it, without a trailing slash; "" unset."""
    return parse_address(
        "COMMENTS_PUBLIC_URL", value, "the server's address like https://comments.example.org"
    )


def parse_mail(config: Mapping) -> dict:
    """Return the email settings, checked together: mail needs a sender, and links need
    COMMENTS_PUBLIC_URL (the one-click links and the unsubscribe link point there)."""
    smtp = parse_smtp_url(config["COMMENTS_SMTP_URL"])
    mail_from = parse_email("COMMENTS_MAIL_FROM", config["COMMENTS_MAIL_FROM"])
    listed = split_list(config["COMMENTS_MODERATOR_EMAILS"])
    moderators = tuple(parse_email("COMMENTS_MODERATOR_EMAILS", one) for one in listed)
    notify = parse_choice("COMMENTS_NOTIFY", config["COMMENTS_NOTIFY"], ("pending", "all"))
    if smtp is not None:
        if not mail_from:
            raise ConfigError("COMMENTS_MAIL_FROM", "must be set with COMMENTS_SMTP_URL: the mails' sender")
        if not str(config["COMMENTS_PUBLIC_URL"]).strip():
            raise ConfigError(
                "COMMENTS_PUBLIC_URL",
                "must be set with COMMENTS_SMTP_URL: the mails' moderation and unsubscribe links point there",
            )
    elif moderators:
        raise ConfigError("COMMENTS_MODERATOR_EMAILS", "needs COMMENTS_SMTP_URL to send the mails through")
    return {"smtp": smtp, "mail_from": mail_from, "moderator_emails": moderators, "notify": notify}


SMTP_PORTS = {"smtp": 587, "smtps": 465}


def parse_smtp_url(value: str) -> SmtpServer | None:
    """Return the SMTP server of smtp://user:pass@host:587 or smtps://…, or None when unset.
    The message never repeats the address: it may hold a password."""
    url = str(value).strip()
    if not url:
        return None
    example = "an address like smtp://user:password@mail.example.org:587 or smtps://…:465"
    try:
        parts = urlsplit(url)
    except ValueError:  # an IPv6 host's bracket left open
        raise ConfigError("COMMENTS_SMTP_URL", f"is not {example}") from None
    if parts.scheme not in SMTP_PORTS:
        raise ConfigError("COMMENTS_SMTP_URL", f"must start with smtp:// or smtps://; it is not {example}")
    port = smtp_port(parts.netloc.rpartition("@")[2], example)
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError("COMMENTS_SMTP_URL", f"is not {example}")
    return SmtpServer(
        secure=parts.scheme == "smtps",
        host=parts.hostname,
        port=port or SMTP_PORTS[parts.scheme],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def smtp_port(host_port: str, example: str) -> int | None:
    """Return the port of an SMTP address's host:port, None when it names none; refuse one
    that is not a number from 1 to 65535 (urlsplit would refuse 99999 as not a number, and
    take 0 as no port at all)."""
    # After an IPv6 host's brackets, whose colons are not the port's.
    digits = host_port.rpartition("]")[2].partition(":")[2]
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit()):
        raise ConfigError("COMMENTS_SMTP_URL", f"is not {example} (the port is not a number)")
    port = int(digits)
    if not 1 <= port <= 65535:
        raise ConfigError("COMMENTS_SMTP_URL", f"is not {example} (the port must be 1 to 65535)")
    return port


def parse_email(name: str, value: str) -> str:
    """Return an email address, or "" when unset; refuse one that is not an address."""
    address = str(value).strip()
    if address and email_problem(address):
        raise ConfigError(name, f"{address!r} is not an email address like comments@example.org")
    return address
